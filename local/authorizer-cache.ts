import { createHash } from 'node:crypto';
import type { PolicyStatement } from './policy';

/** What API Gateway caches of an authorizer's answer: the whole policy, so it is re-evaluated for each route. */
export interface CachedAuthorization {
  principalId: string;
  statements: PolicyStatement[];
  context: Record<string, string>;
}

/**
 * The stage's authorizer cache, keyed by the identity source (the x-api-key
 * value). Keys are stored hashed, so the cache never holds a plaintext key.
 */
export class AuthorizerCache {
  private readonly entries = new Map<string, { value: CachedAuthorization; expiresAt: number }>();
  private flushes = 0;

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(identity: string): CachedAuthorization | undefined {
    const key = cacheKey(identity);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Taken before calling the authorizer and handed to `set`. */
  get generation(): number {
    return this.flushes;
  }

  /** Caches an answer, unless the cache was flushed while it was being computed: it may predate a revocation. */
  set(identity: string, value: CachedAuthorization, generation: number): void {
    if (this.ttlSeconds === 0 || generation !== this.flushes) return;
    this.entries.set(cacheKey(identity), { value, expiresAt: this.now() + this.ttlSeconds * 1000 });
  }

  flush(): void {
    this.entries.clear();
    this.flushes++;
  }
}

function cacheKey(identity: string): string {
  return createHash('sha256').update(identity, 'utf8').digest('hex');
}
