/** Typed failures of the domain and the store; the HTTP edge maps each to one status. */

export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  readonly name = 'ValidationError';
  constructor(
    readonly errors: FieldError[],
    message = 'The request is not valid.',
  ) {
    super(message);
  }
}

export class KeyNotFoundError extends Error {
  readonly name = 'KeyNotFoundError';
  constructor() {
    super('No such key.');
  }
}

/** A self-service caller asked for scopes beyond its own key's. */
export class ScopeEscalationError extends Error {
  readonly name = 'ScopeEscalationError';
  constructor(readonly errors: FieldError[]) {
    super('A key can only grant scopes that it holds itself.');
  }
}

/** A conditional write found the item already there (or already gone). */
export class StoreConflictError extends Error {
  readonly name = 'StoreConflictError';
  constructor(message = 'The item changed or already exists.') {
    super(message);
  }
}

/** The key changed between the read a decision was based on and the write; retrying re-decides. */
export class ConcurrentChangeError extends Error {
  readonly name = 'ConcurrentChangeError';
  constructor() {
    super('The key changed while it was being updated.');
  }
}

/** The store is throttled or unreachable; the caller may retry after a pause. */
export class StoreUnavailableError extends Error {
  readonly name = 'StoreUnavailableError';
  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('The key store is temporarily unavailable.', options);
  }
}
