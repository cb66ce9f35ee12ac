import type { KeyRecord } from './api-key';

/** Where listing resumes: after the last item of the previous page. Key ids are unique per tenant. */
export interface PagePosition {
  keyId: string;
}

export interface KeyPage {
  items: KeyRecord[];
  next?: PagePosition;
}

export type KeyChanges = Partial<Pick<KeyRecord, 'name' | 'scopes' | 'enabled'>> & {
  /** A date sets expiry (and TTL); null clears both. */
  expiresAt?: string | null;
};

/** One write to a key: the state it replaced and the state it left. */
export interface KeyChange {
  before: KeyRecord;
  after: KeyRecord;
}

/** The state a change was decided on; the write happens only if the key still has it. */
export interface KeyStateGuard {
  enabled: boolean;
  scopes: string[];
  expiresAt: string | null;
}

/**
 * The port the domain needs from persistence. The DynamoDB adapter in
 * src/store is its only implementation, and the only code that talks to DynamoDB.
 */
export interface KeyStore {
  /** Writes a new item; throws StoreConflictError rather than overwrite any existing item. */
  create(record: KeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<KeyRecord | undefined>;
  /** Finds a key by id, only within the tenant. */
  findById(tenantId: string, keyId: string): Promise<KeyRecord | undefined>;
  /** Newest first. */
  list(tenantId: string, limit: number, after?: PagePosition): Promise<KeyPage>;
  /**
   * Applies changes to a key found by findById or findByHash, unless it has been
   * deleted (or its item replaced) since: then undefined. With `guard`, throws
   * ConcurrentChangeError unless the key is still in that state. Returns the state
   * the write replaced, and the new one.
   */
  update(key: KeyRecord, changes: KeyChanges, guard?: KeyStateGuard): Promise<KeyChange | undefined>;
  /** Deletes a key found by findById or findByHash; returns what was deleted, undefined when it was gone. */
  delete(key: KeyRecord): Promise<KeyRecord | undefined>;
  /**
   * Records use, unless it was already recorded after `notBefore`. Never throws
   * for a stale write. `signal` abandons the write, retries included.
   */
  recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void>;
}
