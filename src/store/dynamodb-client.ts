import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError } from '../domain/errors';

/**
 * Bounds on one DynamoDB call, retries included: 3 attempts of at most 1.5 s
 * plus back-off stay under 5 s, the authorizer's timeout, and a handler's few
 * calls stay well under API Gateway's 29 s integration limit.
 */
const DYNAMODB_CALL_LIMITS = { maxAttempts: 3, connectionTimeoutMs: 500, requestTimeoutMs: 1_000 } as const;

/**
 * How the stores' items become DynamoDB's attribute values. Without
 * `convertClassInstanceToMap`, the SDK takes an object whose `constructor` is not
 * the Object function for a class instance, and refuses it: a key's metadata named
 * `constructor` (a name its pattern allows) would fail every write. Everything the
 * stores write is JSON-like data, so every object is a map.
 */
const TRANSLATION = { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } } as const;

/** A document client over `client`, translating as every store of the service does. */
export function documentClientOver(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, TRANSLATION);
}

/** A document client; endpoint, region and credentials come from the SDK's standard configuration. */
export function createDocumentClient(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts: DYNAMODB_CALL_LIMITS.maxAttempts,
    requestHandler: {
      connectionTimeout: DYNAMODB_CALL_LIMITS.connectionTimeoutMs,
      requestTimeout: DYNAMODB_CALL_LIMITS.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes, and the call hangs on.
      throwOnRequestTimeout: true,
    },
  });
  return documentClientOver(client);
}

/** Error names DynamoDB uses for throttling and transient server faults. */
const TRANSIENT_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
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
 * Runs one request. A failed condition goes to `onConditionFailure` when given;
 * every other failure becomes StoreUnavailableError: a throttle or a network
 * fault is transient, anything else (a missing table, denied access, an answer
 * the SDK could not read) is not, but a client can do nothing about it but
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
