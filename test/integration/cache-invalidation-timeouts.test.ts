/**
 * The authorizer cache flush against AWS endpoints that never answer: the
 * revocation is already saved, so the flush must give up quickly instead of
 * running the handler into its timeout.
 */
import { authorizerCacheInvalidation } from '../../lambdas/shared/authorizer-cache-invalidation';
import { type SilentServer, startSilentServer, useEndpoint } from '../support/silent-server';

describe('flushNow against endpoints that never answer', () => {
  let silent: SilentServer;
  let restoreEnv: () => void;

  beforeAll(async () => {
    silent = await startSilentServer();
    restoreEnv = useEndpoint('AWS_ENDPOINT_URL_SSM', silent.url, {
      AWS_ENDPOINT_URL_SQS: silent.url,
      AWS_ENDPOINT_URL_API_GATEWAY: silent.url,
      FLUSH_TARGETS_PATH: '/api-key-service/test/targets',
      FLUSH_QUEUE_URL: `${silent.url}/123456789012/flush`,
    });
  });

  afterAll(async () => {
    restoreEnv();
    await silent.close();
  });

  it('gives up on the registry and on the follow-up within seconds, without throwing', async () => {
    const started = Date.now();
    await expect(authorizerCacheInvalidation().flushNow()).resolves.toBeUndefined();
    // Two bounded calls one after the other (the registry, then the follow-up): 2 attempts of 1.5 s each.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(silent.sockets.length).toBeGreaterThanOrEqual(2);
  }, 30_000);
});
