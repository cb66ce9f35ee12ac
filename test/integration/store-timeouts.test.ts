/**
 * The store's call limits against an endpoint that accepts connections but never
 * answers, as a stuck DynamoDB connection would. The authorizer has 5 s; a call must
 * give up well within that instead of hanging until Lambda kills it.
 */
import { StoreUnavailableError } from '../../src/domain/errors';
import { DynamoKeyStore } from '../../src/store/dynamo-key-store';
import { createDocumentClient } from '../../src/store/dynamodb-client';
import { type SilentServer, startSilentServer, useEndpoint } from '../support/silent-server';

const AUTHORIZER_TIMEOUT_MS = 5_000;

describe('DynamoKeyStore from createDocumentClient, against an endpoint that never answers', () => {
  let silent: SilentServer;
  let restoreEnv: () => void;

  beforeAll(async () => {
    silent = await startSilentServer();
    // createDocumentClient takes everything from the SDK's standard configuration.
    restoreEnv = useEndpoint('AWS_ENDPOINT_URL_DYNAMODB', silent.url);
  });

  afterAll(async () => {
    restoreEnv();
    await silent.close();
  });

  it(
    'fails with StoreUnavailableError within the authorizer timeout, retries included',
    async () => {
      const client = createDocumentClient();
      const store = new DynamoKeyStore(client, 'keys');
      const started = Date.now();

      try {
        await expect(store.findByHash('0'.repeat(64))).rejects.toBeInstanceOf(StoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(AUTHORIZER_TIMEOUT_MS);
        // Each of the attempts reached the server before giving up.
        expect(silent.sockets.length).toBeGreaterThanOrEqual(2);
      } finally {
        client.destroy();
      }
    },
    3 * AUTHORIZER_TIMEOUT_MS,
  );
});
