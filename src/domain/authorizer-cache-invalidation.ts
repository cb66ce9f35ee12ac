/**
 * The port through which the key lifecycle keeps API Gateway's authorizer caches
 * honest. A cached Allow must never outlive the key it was computed for: a
 * change that revokes or narrows access flushes now, and every moment a key
 * stops working on its own (its expiry, the end of a rotation's grace period)
 * gets a flush scheduled for that moment. When each is due is decided in one
 * place, the change executor (key-commands/change-executor.ts).
 */
export interface AuthorizerCacheInvalidation {
  /** Flushes now; the change it follows has already been written. */
  flushNow(): Promise<void>;
  /** Makes sure a flush runs at `at`, a moment not yet past, for this key; a later call for the same key moves it. */
  flushAt(keyId: string, at: string): Promise<void>;
}

/**
 * The invalidation of a batch of changes run together: their flushes now are held
 * and made once, by `settle`, when the batch is done (one flush of every stage,
 * however many keys the batch revoked). Scheduled flushes go through as asked.
 */
export class BatchedInvalidation implements AuthorizerCacheInvalidation {
  private flushOwed = false;

  constructor(private readonly inner: AuthorizerCacheInvalidation) {}

  async flushNow(): Promise<void> {
    this.flushOwed = true;
  }

  flushAt(keyId: string, at: string): Promise<void> {
    return this.inner.flushAt(keyId, at);
  }

  /** The one flush the batch owes, if any change of it asked for one. */
  async settle(): Promise<void> {
    if (!this.flushOwed) return;
    this.flushOwed = false;
    await this.inner.flushNow();
  }
}
