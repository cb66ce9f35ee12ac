import { StoreUnavailableError } from '../domain/errors';

/**
 * Error names DynamoDB uses for throttling and transient server faults, and the
 * names the clients give a timed-out attempt and an answer whose CRC-32 did not match.
 */
const TRANSIENT_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'CRC32CheckFailed',
]);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const RETRY_AFTER_SECONDS = 1;

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { name, code, $metadata } = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    TRANSIENT_ERROR_NAMES.has(name) ||
    (code !== undefined && NETWORK_ERROR_CODES.has(code)) ||
    ($metadata?.httpStatusCode !== undefined && $metadata.httpStatusCode >= 500)
  );
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Runs one request, through either client: the AWS SDK's or the small one of
 * the authorizer and POST /verify, whose errors carry the same names, codes and
 * statuses. A failed condition goes to `onConditionFailure` when given; every
 * other failure becomes StoreUnavailableError: a throttle or a network fault is
 * transient, anything else (a missing table, denied access, an answer the
 * client could not read) is not, but a client can do nothing about it but
 * retry, so it is answered the same way, and logged for an operator.
 */
export async function sendRequest<T, F = never>(request: () => Promise<T>, onConditionFailure?: () => F): Promise<T | F> {
  try {
    return await request();
  } catch (error) {
    if (onConditionFailure && isConditionFailure(error)) return onConditionFailure();
    throw new StoreUnavailableError(RETRY_AFTER_SECONDS, isTransient(error), { cause: error });
  }
}
