import { isExpired, type KeyRecord } from './api-key';
import { hashKey, parseKey } from './key-format';
import type { KeyStore } from './key-store';

/** lastUsedAt is written at most this often per key, to keep the authorizer's writes cheap. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * What checking a presented key found. Clients get one and the same 401 for
 * every outcome but `valid`; logs and metrics keep the reason.
 */
export type Verification =
  | { outcome: 'valid'; key: KeyRecord }
  | { outcome: 'missing' | 'malformed' | 'unknown' | 'disabled' | 'expired' };

export interface KeyVerifierOptions {
  store: Pick<KeyStore, 'findByHash' | 'recordUse'>;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * The authorizer's side of the lifecycle: whether a presented key may be used
 * right now, and the record that it was. A malformed key or a bad checksum is
 * refused before any read; otherwise it costs exactly one read by hash.
 */
export class KeyVerifier {
  private readonly store: KeyVerifierOptions['store'];
  private readonly now: () => Date;

  constructor(options: KeyVerifierOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
  }

  async verify(key: string | undefined): Promise<Verification> {
    const refusal = this.refusalBeforeReading(key);
    return refusal ? { outcome: refusal } : this.lookUp(key as string);
  }

  /**
   * The refusal a key gets without a read: missing, or malformed (its shape or
   * checksum). Synchronous, so a caller refusing garbage waits on nothing.
   */
  refusalBeforeReading(key: string | undefined): 'missing' | 'malformed' | undefined {
    if (key === undefined || key === '') return 'missing';
    if (!parseKey(key)) return 'malformed';
    return undefined;
  }

  /** The one read, by hash, of a key that refusalBeforeReading let through, and what it found. */
  async lookUp(key: string): Promise<Verification> {
    const record = await this.store.findByHash(hashKey(key));
    // A rotation's replacement is not a key until the rotation has finished; a key marked deleted is one no longer.
    if (!record || record.pending || record.deleted) return { outcome: 'unknown' };
    // A revoked key is disabled for good (revoke-key.ts): refused as disabled, whatever its item says of `enabled`.
    if (!record.enabled || record.revokedAt !== undefined) return { outcome: 'disabled' };
    // TTL deletion is lazy, so expiry is checked here.
    if (isExpired(record, this.now())) return { outcome: 'expired' };
    return { outcome: 'valid', key: record };
  }

  /** Whether recordUse would write: the last record is older than LAST_USED_RESOLUTION_MS. */
  isUseRecordDue(record: Pick<KeyRecord, 'lastUsedAt'>): boolean {
    return record.lastUsedAt === undefined || record.lastUsedAt < this.notBefore(this.now());
  }

  /** Records that the key was just used, at most once per LAST_USED_RESOLUTION_MS. */
  async recordUse(record: KeyRecord, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const notBefore = this.notBefore(now);
    // Same boundary as the store's condition (`lastUsedAt < notBefore`), so no write is sent only to be refused.
    if (record.lastUsedAt !== undefined && record.lastUsedAt >= notBefore) return;
    await this.store.recordUse(record.keyHash, now.toISOString(), notBefore, signal);
  }

  private notBefore(now: Date): string {
    return new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  }
}
