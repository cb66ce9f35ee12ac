import { createTokenBucket } from '../../../../local/apigateway/token-bucket';

describe('the token bucket of a usage plan', () => {
  it('lets a full burst through at once, then one request per 1/rate seconds', () => {
    let now = 0;
    const bucket = createTokenBucket({ rateLimit: 2, burstLimit: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 499;
    expect(bucket.take()).toBe(false);
    now = 500;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('refills no further than the burst, however long it was idle', () => {
    let now = 0;
    const bucket = createTokenBucket({ rateLimit: 100, burstLimit: 2 }, () => now);
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  it('keeps a refused request from costing a token', () => {
    let now = 0;
    const bucket = createTokenBucket({ rateLimit: 1, burstLimit: 1 }, () => now);
    expect(bucket.take()).toBe(true);
    now = 900;
    expect(bucket.take()).toBe(false);
    now = 1000;
    expect(bucket.take()).toBe(true);
  });
});
