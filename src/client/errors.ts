/** A field the API refused, as a validation problem lists it. */
export interface ProblemFieldError {
  path: string;
  message: string;
}

/**
 * An error answer of the API: its RFC 9457 problem details. Every error the API
 * sends is one, the gateway's own included.
 */
export class ApiProblemError extends Error {
  readonly name = 'ApiProblemError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** The fields a 400 (or a self-service 403) refused; empty otherwise. */
  readonly errors: ProblemFieldError[];
  /** What `Retry-After` asked for, in seconds, where it was sent. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    problem: { status: number; type: string; title: string; detail: string; errors?: ProblemFieldError[] },
    retryAfterSeconds?: number,
  ) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** An attempt that got no answer within the client's `timeoutMs`. */
export class RequestTimeoutError extends Error {
  readonly name = 'RequestTimeoutError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${url} got no answer within ${timeoutMs} ms`);
  }
}
