import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** The operations that can change items (a PartiQL statement may, so it counts). */
const WRITES = new Set(
  [
    'PutItem',
    'UpdateItem',
    'DeleteItem',
    'BatchWriteItem',
    'TransactWriteItems',
    'ExecuteStatement',
    'BatchExecuteStatement',
    'ExecuteTransaction',
  ].map((operation) => `DynamoDB_20120810.${operation}`),
);

/** Node publishes each response an HTTP client of this process receives here, with its request. */
const CLIENT_RESPONSES = 'http.client.response.finish';

/**
 * Calls `onWrite` each time a DynamoDB write made by this process (the
 * functions' SDK and small clients alike) is answered 200, whichever endpoint
 * it went to: the embedded store's, or DYNAMODB_ENDPOINT's, which local mode
 * does not stand in front of. It watches the calls as Node's HTTP client makes
 * them, so no function's code changes. Returns what stops watching.
 */
export function watchDynamoDbWrites(onWrite: () => void): () => void {
  const listener = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (response.statusCode === 200 && WRITES.has(request.getHeader('x-amz-target') as string)) onWrite();
  };
  subscribe(CLIENT_RESPONSES, listener);
  return () => unsubscribe(CLIENT_RESPONSES, listener);
}
