import { ApiProblemError, RequestTimeoutError } from './errors';

/** How a request proves who sends it: adds its headers to the request as it will be sent. */
export type Authenticate = (request: OutgoingRequest) => Promise<Record<string, string>>;

export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface TransportOptions {
  /** The stage's URL: `https://{api-id}.execute-api.{region}.amazonaws.com/v1`, or `http://127.0.0.1:3000` locally. */
  endpoint: string;
  /**
   * How long one attempt may take before it is abandoned (a RequestTimeoutError).
   * @default 30_000
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt, for a 429 or 503 and for an attempt that
   * failed or timed out, with exponential backoff or as `Retry-After` says. Only
   * requests that are safe to repeat are retried: a create or rotate only with an
   * `idempotencyKey`.
   * @default 3
   */
  maxRetries?: number;
  /**
   * The longest `Retry-After` the client waits out; a longer one is handed to the caller as the error.
   * @default 20_000
   */
  maxRetryDelayMs?: number;
  /** The fetch to send with, e.g. one that goes through a proxy. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface CallOptions {
  /** Cancels the call, waits between retries included. */
  signal?: AbortSignal;
}

export interface TransportRequest extends CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the endpoint, already encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Whether sending it twice does no harm, and so whether it may be retried. */
  repeatable: boolean;
}

export interface TransportResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined for an empty one. */
  body: unknown;
}

const RETRYABLE_STATUSES = new Set([429, 503]);
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

/** Waits, unless the caller aborts first. On the global timers, which a test's fake clock drives. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date. */
function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function problemFrom(status: number, statusText: string, headers: Headers, text: string): ApiProblemError {
  let detail = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as Partial<ConstructorParameters<typeof ApiProblemError>[0]> & { message?: unknown };
    if (typeof parsed.title === 'string' && typeof parsed.detail === 'string') {
      return new ApiProblemError(
        { status, type: parsed.type ?? 'about:blank', title: parsed.title, detail: parsed.detail, errors: parsed.errors },
        retryAfterSeconds(headers),
      );
    }
    // AWS's own error bodies, e.g. API Gateway's default responses: {"message":"The security token included in the request is invalid."}
    if (typeof parsed.message === 'string') detail = parsed.message;
  } catch {
    // Not JSON: something between the client and the API answered.
  }
  return new ApiProblemError(
    { status, type: 'about:blank', title: statusText || `HTTP ${status}`, detail },
    retryAfterSeconds(headers),
  );
}

/** Sends requests to the API: authenticated, within a timeout, retried when that is safe, errors as ApiProblemError. */
export class Transport {
  private readonly endpoint: URL;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;
  private readonly fetch: typeof fetch;

  constructor(
    options: TransportOptions,
    private readonly authenticate: Authenticate,
  ) {
    // A trailing slash keeps the stage when paths are resolved against it.
    this.endpoint = new URL(options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 20_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const url = new URL(request.path.replace(/^\//, ''), this.endpoint);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...request.headers,
    };
    for (let retry = 0; ; retry++) {
      const mayRetry = request.repeatable && retry < this.maxRetries;
      let answer: { response: Response; text: string };
      try {
        answer = await this.attempt({ method: request.method, url, headers, body }, request.signal);
      } catch (error) {
        if (!mayRetry || request.signal?.aborted) throw error;
        await sleep(this.backoffMs(retry), request.signal);
        continue;
      }
      const { response, text } = answer;
      if (response.ok)
        return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
      const problem = problemFrom(response.status, response.statusText, response.headers, text);
      const delayMs = problem.retryAfterSeconds === undefined ? this.backoffMs(retry) : problem.retryAfterSeconds * 1000;
      if (!mayRetry || !RETRYABLE_STATUSES.has(response.status) || delayMs > this.maxRetryDelayMs) throw problem;
      await sleep(delayMs, request.signal);
    }
  }

  /** One attempt, signed afresh (a retry's signature must be current), abandoned after timeoutMs. */
  private async attempt(
    request: OutgoingRequest,
    signal: AbortSignal | undefined,
  ): Promise<{ response: Response; text: string }> {
    const authentication = await this.authenticate(request);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await this.fetch(request.url, {
        method: request.method,
        headers: { ...request.headers, ...authentication },
        body: request.body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { response, text: await response.text() };
    } catch (error) {
      if (timeout.aborted && !signal?.aborted) throw new RequestTimeoutError(request.method, request.url.href, this.timeoutMs);
      throw error;
    }
  }

  /** Exponential backoff with full jitter: a random wait up to 200 ms, 400 ms, 800 ms … at most 5 s. */
  private backoffMs(retry: number): number {
    return Math.random() * Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** retry);
  }
}
