import type { KeyRecord, Rotation } from './api-key';

/** Where listing resumes: after the last item of the previous page. Key ids are unique per tenant. */
export interface PagePosition {
  keyId: string;
}

export interface KeyPage {
  items: KeyRecord[];
  next?: PagePosition;
}

export type KeyChanges = Partial<Pick<KeyRecord, 'name' | 'scopes' | 'enabled' | 'meta'>> & {
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
  /** Finds a key by id, only within the tenant; a pending replacement only when asked for. */
  findById(tenantId: string, keyId: string, options?: { includePending?: boolean }): Promise<KeyRecord | undefined>;
  /** Newest first; pending replacements are left out. */
  list(tenantId: string, limit: number, after?: PagePosition): Promise<KeyPage>;
  /**
   * Applies changes to a key found by findById or findByHash, unless it has been
   * deleted (or its item replaced) since: then undefined. With `guard`, throws
   * ConcurrentChangeError unless the key is still in that state. Returns the state
   * the write replaced, and the new one.
   */
  update(key: KeyRecord, changes: KeyChanges, guard?: KeyStateGuard): Promise<KeyChange | undefined>;
  /**
   * Marks a key rotated and sets its retirement, if it is still the tenant's key and
   * either not rotated and not expired at `unexpiredAt`, or rotated to the unfinished
   * replacement it `supersedes`. Otherwise `gone` (it no longer exists) or `changed`
   * (it was rotated, or expired, meanwhile), and nothing is written. A retry of a
   * write that landed recognises it.
   */
  retire(
    key: KeyRecord,
    retirement: { rotation: Rotation; expiresAt: string },
    condition: { supersedes: string } | { unexpiredAt: string },
  ): Promise<'retired' | 'gone' | 'changed'>;
  /** Makes a pending replacement live. A retry of a write that landed recognises it. */
  activate(replacement: KeyRecord): Promise<void>;
  /** Undoes `retire` for this rotation, if the key still carries it: its own expiry back, no rotation. */
  restore(key: KeyRecord, rotation: Rotation): Promise<void>;
  /** Deletes a key found by findById or findByHash; returns what was deleted, undefined when it was gone. */
  delete(key: KeyRecord): Promise<KeyRecord | undefined>;
  /**
   * Records use, unless it was already recorded after `notBefore`. Never throws
   * for a stale write. `signal` abandons the write, retries included.
   */
  recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void>;
}
