/**
 * Typed failures of the domain and the store. Every one is a DomainError with a
 * `kind`; the HTTP edge maps each kind to one status in a switch the compiler
 * checks for completeness, so a new kind cannot silently become a 500.
 */

export interface FieldError {
  path: string;
  message: string;
}

/**
 * A subclass's `kind` must be one of KnownDomainError's, so a new error cannot
 * compile until it is listed there, and then not until the HTTP edge maps it.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
}

export type DomainErrorKind = KnownDomainError['kind'];

/** Every domain error there is, told apart by `kind`. */
export type KnownDomainError =
  | ValidationError
  | KeyNotFoundError
  | EscalationError
  | ConcurrentChangeError
  | ConflictError
  | RequestInProgressError
  | IdempotencyMismatchError
  | StoreConflictError
  | StoreUnavailableError
  | UsagePlansUnavailableError
  | TenantLimitError
  | SignatureError
  | SigningKeysUnavailableError
  | BatchCutShortError;

export function isDomainError(error: unknown): error is KnownDomainError {
  return error instanceof DomainError;
}

export class ValidationError extends DomainError {
  readonly kind = 'validation';
  readonly name = 'ValidationError';
  constructor(
    readonly errors: FieldError[],
    message = 'The request is not valid.',
  ) {
    super(message);
  }
}

export class KeyNotFoundError extends DomainError {
  readonly kind = 'keyNotFound';
  readonly name = 'KeyNotFoundError';
  constructor() {
    super('No such key.');
  }
}

/**
 * A self-service caller asked for more than it may hand out: a scope it lacks, or
 * a life beyond its own expiry. The message says what bounds this kind of caller.
 */
export class EscalationError extends DomainError {
  readonly kind = 'escalation';
  readonly name = 'EscalationError';
  constructor(
    readonly errors: FieldError[],
    message: string,
  ) {
    super(message);
  }
}

/** The key changed between the read a decision was based on and the write; retrying re-decides. */
export class ConcurrentChangeError extends DomainError {
  readonly kind = 'concurrentChange';
  readonly name: string = 'ConcurrentChangeError';
  constructor() {
    super('The key changed while it was being updated.');
  }
}

/**
 * A change to a key was refused for want of room for its record: MAX_WAITING_RECORDS
 * wait in the key (their delivery is behind, or stopped). Unless the change makes
 * room by delivering them, it is a ConcurrentChangeError (409: retry).
 */
export class NoRoomForRecordError extends ConcurrentChangeError {
  readonly name = 'NoRoomForRecordError';
}

/** The request cannot apply to the resource as it is now (e.g. rotating a key that expired, or was rotated already). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
  readonly name = 'ConflictError';
}

/** Another request with the same Idempotency-Key is still running; a retry in a moment gets its outcome. */
export class RequestInProgressError extends DomainError {
  readonly kind = 'requestInProgress';
  readonly name = 'RequestInProgressError';
  constructor() {
    super('A request with this Idempotency-Key is in progress; retry shortly.');
  }
}

/** An Idempotency-Key reused for a different request. */
export class IdempotencyMismatchError extends DomainError {
  readonly kind = 'idempotencyMismatch';
  readonly name = 'IdempotencyMismatchError';
  constructor() {
    super('This Idempotency-Key was used for a different request; use a new key for a new request.');
  }
}

/** A conditional write found another item where a new one was to go: a key hash collided. */
export class StoreConflictError extends DomainError {
  readonly kind = 'storeConflict';
  readonly name = 'StoreConflictError';
  constructor(message = 'An item with this key already exists.') {
    super(message);
  }
}

/**
 * The store could not answer: throttled, unreachable, or failing in a way a
 * retry may cure. `transient` tells throttling and network faults (expected now
 * and then) from a misconfiguration or a malformed answer (an operator must look).
 */
export class StoreUnavailableError extends DomainError {
  readonly kind = 'storeUnavailable';
  readonly name = 'StoreUnavailableError';
  constructor(
    readonly retryAfterSeconds: number,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super('The key store is temporarily unavailable.', options);
  }
}

/**
 * The tenant's usage plan could not be arranged right now: API Gateway throttled
 * or failed, or another request is arranging it. Nothing was changed; a retry may succeed.
 */
export class UsagePlansUnavailableError extends DomainError {
  readonly kind = 'usagePlansUnavailable';
  readonly name = 'UsagePlansUnavailableError';
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** API Gateway holds at most 10,000 API keys per account and Region: one per tenant with a plan. */
export class TenantLimitError extends DomainError {
  readonly kind = 'tenantLimit';
  readonly name = 'TenantLimitError';
  constructor() {
    super(
      "No more tenants can get a usage plan: the account has reached API Gateway's 10,000 API keys per Region. Tenants that have one are unaffected.",
    );
  }
}

/** A signed request whose signature is missing, names a key the signer does not have, or does not match the body. */
export class SignatureError extends DomainError {
  readonly kind = 'signature';
  readonly name = 'SignatureError';
}

/**
 * The keys a signature is checked against could not be had right now (GitHub's
 * public keys: fetching them failed, or was tried too recently to try again).
 * Nothing was changed; a retry after `retryAfterSeconds` may succeed.
 */
export class SigningKeysUnavailableError extends DomainError {
  readonly kind = 'signingKeysUnavailable';
  readonly name = 'SigningKeysUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A batch was cut short before its time ran out: what it did stays done (and the
 * caches were flushed for it); the rest was not tried. Sending it again is safe,
 * and finishes it.
 */
export class BatchCutShortError extends DomainError {
  readonly kind = 'outOfTime';
  readonly name = 'BatchCutShortError';
  constructor(
    readonly done: number,
    readonly total: number,
  ) {
    super(`Time ran out after ${done} of ${total}; what was done stays done. Send the request again.`);
  }
}
