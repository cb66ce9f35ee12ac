import { type CachedAuthorization, createAuthorizerResultCache } from '../../../../local/apigateway/authorizer-result-cache';

const answer: CachedAuthorization = { principalId: 'key_1', statements: [], context: { tenantId: 'acme' } };

describe('the authorizer result cache', () => {
  it('keeps an answer for the TTL, per identity', () => {
    let now = 0;
    const cache = createAuthorizerResultCache(300, () => now);
    cache.set('ak_one', answer, cache.generation);
    expect(cache.get('ak_one')).toBe(answer);
    expect(cache.get('ak_two')).toBeUndefined();
    now = 299_999;
    expect(cache.get('ak_one')).toBe(answer);
    now = 300_000;
    expect(cache.get('ak_one')).toBeUndefined();
  });

  it('forgets everything on flush', () => {
    const cache = createAuthorizerResultCache(300);
    cache.set('ak_one', answer, cache.generation);
    cache.flush();
    expect(cache.get('ak_one')).toBeUndefined();
  });

  it('drops an answer computed across a flush, since it may predate a revocation', () => {
    const cache = createAuthorizerResultCache(300);
    const generation = cache.generation;
    cache.flush();
    cache.set('ak_one', answer, generation);
    expect(cache.get('ak_one')).toBeUndefined();
  });

  it('caches nothing with a TTL of 0', () => {
    const cache = createAuthorizerResultCache(0);
    cache.set('ak_one', answer, cache.generation);
    expect(cache.get('ak_one')).toBeUndefined();
  });
});
