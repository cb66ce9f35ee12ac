import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
