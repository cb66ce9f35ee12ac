/**
 * The best-effort authorizer cache flush against an API Gateway endpoint that
 * accepts connections but never answers: the revocation is already saved, so the
 * flush must give up quickly instead of running the handler into its timeout.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { flushAuthorizerCache } from '../../lambdas/shared/authorizer-cache';

describe('flushAuthorizerCache against an endpoint that never answers', () => {
  let silentServer: Server;
  const openSockets: Socket[] = [];
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    silentServer = createServer((socket) => openSockets.push(socket));
    silentServer.listen(0, '127.0.0.1');
    await once(silentServer, 'listening');
    const { port } = silentServer.address() as AddressInfo;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_API_GATEWAY: `http://127.0.0.1:${port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'integration',
      AWS_SECRET_ACCESS_KEY: 'integration',
      REST_API_ID: 'abc123',
      STAGE_NAME: 'v1',
    });
  });

  afterAll(async () => {
    process.env = savedEnv;
    for (const socket of openSockets) socket.destroy();
    silentServer.close();
    await once(silentServer, 'close');
  });

  it('gives up within a few seconds, without throwing', async () => {
    const started = Date.now();
    await expect(flushAuthorizerCache()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(openSockets.length).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
