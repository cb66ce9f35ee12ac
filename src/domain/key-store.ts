import type { KeyRecord, Rotation } from './api-key';
import type { AuditRecord } from './audit';

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

/** The item a pending audit record lives in, as the store addresses it. */
export type AuditedItem = Pick<KeyRecord, 'keyHash' | 'tenantId' | 'keyId' | 'deleted'>;

/**
 * The port the domain needs from persistence. The DynamoDB adapter in
 * src/store is its only implementation, and the only code that talks to DynamoDB.
 */
export interface KeyStore {
  /**
   * Writes a new item, with its pending audit record if it has one; throws
   * StoreConflictError rather than overwrite any existing item.
   */
  create(record: KeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<KeyRecord | undefined>;
  /** Finds a key by id, only within the tenant; a pending replacement only when asked for, a deleted key never. */
  findById(tenantId: string, keyId: string, options?: { includePending?: boolean }): Promise<KeyRecord | undefined>;
  /** Newest first; pending replacements and deleted keys are left out. */
  list(tenantId: string, limit: number, after?: PagePosition): Promise<KeyPage>;
  /**
   * Applies changes to a key found by findById or findByHash, unless it has been
   * deleted (or its item replaced) since: then undefined. With `guard`, throws
   * ConcurrentChangeError unless the key is still in that state. With `audit`, the
   * record is written in the same write, and the write happens only if no other
   * change's record is pending on the key (otherwise ConcurrentChangeError).
   * Returns the state the write replaced, and the new one.
   */
  update(key: KeyRecord, changes: KeyChanges, guard?: KeyStateGuard, audit?: AuditRecord): Promise<KeyChange | undefined>;
  /**
   * Marks a key rotated and sets its retirement, if it is still the tenant's key and
   * either not rotated and not expired at `unexpiredAt`, or rotated to the unfinished
   * replacement it `supersedes`. Otherwise `gone` (it no longer exists) or `changed`
   * (it was rotated, or expired, meanwhile), and nothing is written. A retry of a
   * write that landed recognises it. With `audit`, the record is written with the
   * retirement, and another change's pending record makes it `changed`.
   */
  retire(
    key: KeyRecord,
    retirement: { rotation: Rotation; expiresAt: string },
    condition: { supersedes: string } | { unexpiredAt: string },
    audit?: AuditRecord,
  ): Promise<'retired' | 'gone' | 'changed'>;
  /** Makes a pending replacement live. A retry of a write that landed recognises it. */
  activate(replacement: KeyRecord): Promise<void>;
  /**
   * Undoes `retire` for this rotation, if the key still carries it: its own expiry
   * back, no rotation, and the retirement's pending record `auditId` withdrawn with it.
   */
  restore(key: KeyRecord, rotation: Rotation, auditId?: string): Promise<void>;
  /** Deletes a key found by findById or findByHash; returns what was deleted, undefined when it was gone. */
  delete(key: KeyRecord): Promise<KeyRecord | undefined>;
  /**
   * Deletes a key in two steps: this marks it deleted (to every reader it is gone
   * from now on) with its record, in one write; settleAudit then removes the item.
   * `gone` when it was deleted already; ConcurrentChangeError while another
   * change's record is pending on it.
   */
  markDeleted(key: KeyRecord, audit: AuditRecord): Promise<'marked' | 'gone'>;
  /**
   * Clears a delivered record from its item, if it is still the one pending there;
   * the item of a deleted key goes with it.
   */
  settleAudit(item: AuditedItem, auditId: string): Promise<void>;
  /** Keys whose record has been pending since before `before`: deliveries that were interrupted. */
  pendingAudits(before: string): Promise<KeyRecord[]>;
  /**
   * Records use, unless it was already recorded after `notBefore`. Never throws
   * for a stale write. `signal` abandons the write, retries included.
   */
  recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void>;
}
