/**
 * The store's call limits against an endpoint that accepts connections but never
 * answers, as a stuck DynamoDB connection would. The authorizer has 5 s; a call must
 * give up well within that instead of hanging until Lambda kills it.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { StoreUnavailableError } from '../../src/domain/errors';
import { DynamoKeyStore, createDocumentClient } from '../../src/store/dynamo-key-store';

const AUTHORIZER_TIMEOUT_MS = 5_000;

describe('DynamoKeyStore from createDocumentClient, against an endpoint that never answers', () => {
  let silentServer: Server;
  const openSockets: Socket[] = [];
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    silentServer = createServer((socket) => openSockets.push(socket));
    silentServer.listen(0, '127.0.0.1');
    await once(silentServer, 'listening');
    const { port } = silentServer.address() as AddressInfo;
    // createDocumentClient takes everything from the SDK's standard configuration.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'integration',
      AWS_SECRET_ACCESS_KEY: 'integration',
    });
  });

  afterAll(async () => {
    process.env = savedEnv;
    for (const socket of openSockets) socket.destroy();
    silentServer.close();
    await once(silentServer, 'close');
  });

  it('fails with StoreUnavailableError within the authorizer timeout, retries included', async () => {
    const client = createDocumentClient();
    const store = new DynamoKeyStore(client, 'keys');
    const started = Date.now();

    try {
      await expect(store.findByHash('0'.repeat(64))).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(AUTHORIZER_TIMEOUT_MS);
      // Each of the attempts reached the server before giving up.
      expect(openSockets.length).toBeGreaterThanOrEqual(2);
    } finally {
      client.destroy();
    }
  }, 3 * AUTHORIZER_TIMEOUT_MS);
});
