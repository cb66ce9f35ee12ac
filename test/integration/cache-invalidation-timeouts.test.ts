/**
 * The best-effort authorizer cache flush against an API Gateway endpoint that
 * never answers: the revocation is already saved, so the flush must give up
 * quickly instead of running the handler into its timeout.
 */
import { apiGatewayCacheInvalidation } from '../../lambdas/shared/api-gateway-cache-invalidation';
import { type SilentServer, startSilentServer, useEndpoint } from '../support/silent-server';

describe('flushNow against an endpoint that never answers', () => {
  let silent: SilentServer;
  let restoreEnv: () => void;

  beforeAll(async () => {
    silent = await startSilentServer();
    restoreEnv = useEndpoint('AWS_ENDPOINT_URL_API_GATEWAY', silent.url, { REST_API_ID: 'abc123', STAGE_NAME: 'v1' });
  });

  afterAll(async () => {
    restoreEnv();
    await silent.close();
  });

  it('gives up within a few seconds, without throwing', async () => {
    const started = Date.now();
    await expect(apiGatewayCacheInvalidation().flushNow()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(silent.sockets.length).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
