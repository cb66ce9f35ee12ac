import { hash } from 'node:crypto';
import type { NormalizedStatement } from './policy-evaluation';

/** What API Gateway caches of an authorizer's answer: the whole policy, so it is re-evaluated for each route. */
export interface CachedAuthorization {
  principalId: string;
  statements: NormalizedStatement[];
  context: Record<string, string>;
  /** The API key value the request is counted against in the usage plans, with the API key source AUTHORIZER. */
  usageIdentifierKey?: string;
}

/**
 * The stage's authorizer result cache, keyed by the identity source (the
 * x-api-key value). Keys are stored hashed, so the cache never holds a plaintext key.
 */
export interface AuthorizerResultCache {
  get(identity: string): CachedAuthorization | undefined;
  /** Taken before calling the authorizer and handed to `set`. */
  readonly generation: number;
  /** Caches an answer, unless the cache was flushed while it was being computed: it may predate a revocation. */
  set(identity: string, value: CachedAuthorization, generation: number): void;
  flush(): void;
}

export function createAuthorizerResultCache(ttlSeconds: number, now: () => number = Date.now): AuthorizerResultCache {
  const entries = new Map<string, { value: CachedAuthorization; expiresAt: number }>();
  let flushes = 0;
  // One-shot hashing: a third of the CPU of a Hash object, on every request behind the authorizer.
  const cacheKey = (identity: string) => hash('sha256', identity, 'hex');
  return {
    get(identity) {
      const key = cacheKey(identity);
      const entry = entries.get(key);
      if (entry && entry.expiresAt > now()) return entry.value;
      entries.delete(key);
      return undefined;
    },
    get generation() {
      return flushes;
    },
    set(identity, value, generation) {
      if (ttlSeconds === 0 || generation !== flushes) return;
      entries.set(cacheKey(identity), { value, expiresAt: now() + ttlSeconds * 1000 });
    },
    flush() {
      entries.clear();
      flushes++;
    },
  };
}
