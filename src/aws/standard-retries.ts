/**
 * The AWS SDK's *standard* retry mode (not the opt-in newer one), as the small
 * AWS client (small-aws-client.ts) applies it: which failures are retried, after how long, and
 * the retry quota that stops a client from retrying into an outage. The
 * figures are the SDK's (`@smithy/core`'s retry constants and its standard
 * strategy's quota, delay and retry deciders).
 */

/** Attempts per call, the first included. */
export const MAX_ATTEMPTS = 3;
const INITIAL_RETRY_TOKENS = 500;
const RETRY_COST = 5;
const TIMEOUT_RETRY_COST = 10;
/** What a call that succeeded without a retry gives back to the quota. */
const NO_RETRY_INCREMENT = 1;
const DEFAULT_RETRY_DELAY_BASE_MS = 100;
const THROTTLING_RETRY_DELAY_BASE_MS = 500;
const MAXIMUM_RETRY_DELAY_MS = 20_000;

const THROTTLING_ERROR_NAMES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const CLOCK_SKEW_ERROR_NAMES = new Set([
  'AccessDeniedException',
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);
const TRANSIENT_ERROR_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUS_CODES = new Set([500, 502, 503, 504]);
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What the retry decision reads of a failure: the fields SDK errors carry, which the small client's carry too. */
export interface CallFailure {
  name: string;
  message: string;
  code?: string;
  /** Set on failures that are retried whatever their name, such as an answer whose CRC-32 did not match. */
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
}

export function isThrottling(failure: CallFailure): boolean {
  return (
    failure.$metadata?.httpStatusCode === 429 ||
    THROTTLING_ERROR_NAMES.has(failure.name) ||
    failure.$retryable?.throttling === true
  );
}

function isTransient(failure: CallFailure): boolean {
  return (
    failure.$metadata?.clockSkewCorrected === true ||
    (failure.name === 'InvalidSignatureException' && failure.message.includes('Signature expired')) ||
    TRANSIENT_ERROR_NAMES.has(failure.name) ||
    (failure.code !== undefined && NETWORK_ERROR_CODES.has(failure.code)) ||
    TRANSIENT_STATUS_CODES.has(failure.$metadata?.httpStatusCode ?? 0)
  );
}

/** Whether the standard mode retries this failure at all (attempts and quota permitting). */
export function isRetryable(failure: CallFailure): boolean {
  return (
    failure.$retryable !== undefined || CLOCK_SKEW_ERROR_NAMES.has(failure.name) || isThrottling(failure) || isTransient(failure)
  );
}

/**
 * How long to wait before the retry that follows attempt number `attempts`
 * (1 after the first failure): full jitter over an exponential ceiling, from a
 * larger base for throttling.
 */
export function retryDelayMs(failure: CallFailure, attempts: number, random: () => number = Math.random): number {
  const base = isThrottling(failure) ? THROTTLING_RETRY_DELAY_BASE_MS : DEFAULT_RETRY_DELAY_BASE_MS;
  return Math.floor(Math.min(MAXIMUM_RETRY_DELAY_MS, random() * 2 ** attempts * base));
}

/**
 * The client's retry quota: each retry takes tokens (more after a timeout),
 * and a call that succeeds gives back what its last retry took, or one token.
 * When too few are left, failures are no longer retried: during an outage
 * every call fails at its first attempt instead of tripling the load.
 */
export class RetryQuota {
  private available = INITIAL_RETRY_TOKENS;

  private costOf(failure: CallFailure): number {
    return failure.name === 'TimeoutError' ? TIMEOUT_RETRY_COST : RETRY_COST;
  }

  /** Takes what a retry of this failure costs, and returns it; undefined (nothing taken) when too little is left. */
  take(failure: CallFailure): number | undefined {
    const cost = this.costOf(failure);
    if (cost > this.available) return undefined;
    this.available -= cost;
    return cost;
  }

  /** A call succeeded: `taken` is what its last retry took, if it retried. */
  release(taken: number | undefined): void {
    this.available = Math.min(INITIAL_RETRY_TOKENS, this.available + (taken ?? NO_RETRY_INCREMENT));
  }
}
