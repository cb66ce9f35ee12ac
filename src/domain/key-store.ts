import type { KeyRecord, Rotation } from './api-key';
import type { AuditRecord } from './audit';
import type { RevocationReason } from './revocation';

/** Where listing resumes: after the last item of the previous page. Key ids are unique per tenant. */
export interface PagePosition {
  keyId: string;
}

export interface KeyPage {
  items: KeyRecord[];
  next?: PagePosition;
}

/** What a write to an existing key sets: the fields a PATCH may change. */
export type KeyUpdate = Partial<Pick<KeyRecord, 'name' | 'scopes' | 'enabled' | 'meta'>> & {
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

/** A key's revocation: when, and why. */
export interface Revocation {
  at: string;
  reason: RevocationReason;
}

/** A `key.expiring` record and the expiry it warns of. */
export interface ExpiryWarning {
  expiresAt: string;
  record: AuditRecord;
}

/** The item audit records wait in, as the store addresses it. */
export type AuditedItem = Pick<KeyRecord, 'keyHash' | 'tenantId' | 'keyId' | 'deleted' | 'pending'>;

/**
 * How many records may wait in one key at once. A change beyond it (delivery is
 * behind the key's changes, or stopped) is refused with NoRoomForRecordError, which
 * keeps an item, and the authorizer's read of it, small; the change then delivers
 * the waiting records itself and is written (change-executor.ts). A revocation is
 * the one exception: its record may be one beyond, since a key is revoked once,
 * and ending a leaked key must not wait on the audit trail (nor tell POST /revoke's
 * caller, by a 409, that the key exists).
 */
export const MAX_WAITING_RECORDS = 10;

/**
 * The port the domain needs from persistence. The DynamoDB adapter in
 * src/store is its only implementation, and the only code that talks to DynamoDB.
 * Every write that changes a key appends the change's record to the key's
 * `auditRecords` in the same single-item write.
 */
export interface KeyStore {
  /** Writes a new item, with its records; throws StoreConflictError rather than overwrite any existing item. */
  create(record: KeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<KeyRecord | undefined>;
  /**
   * Finds a key by id, only within the tenant; a pending replacement only when asked
   * for, a deleted key (whose records are still being delivered) only when asked for.
   */
  findById(
    tenantId: string,
    keyId: string,
    options?: { includePending?: boolean; includeDeleted?: boolean },
  ): Promise<KeyRecord | undefined>;
  /** Newest first; pending replacements and deleted keys are left out. */
  list(tenantId: string, limit: number, after?: PagePosition): Promise<KeyPage>;
  /**
   * Applies an update, and appends its record if it has one, to a key found by
   * findById or findByHash, unless it has been deleted (or its item replaced) since:
   * then undefined. With `guard`, throws ConcurrentChangeError unless the key is
   * still in that state; so does a key read unrevoked that has been revoked since.
   * With `warning`, the warning's record is appended too and the key marked warned
   * of that expiry, unless it has been warned of it since (ConcurrentChangeError).
   * NoRoomForRecordError when the records find no room (see MAX_WAITING_RECORDS).
   * Returns the state the write replaced, and the new one.
   */
  update(
    key: KeyRecord,
    update: KeyUpdate,
    record?: AuditRecord,
    guard?: KeyStateGuard,
    warning?: ExpiryWarning,
  ): Promise<KeyChange | undefined>;
  /**
   * Revokes a key found by findById or findByHash: disables it for good, with its
   * record, in one write, and returns the state replaced and the new one. A key
   * revoked since it was read is left as it is (both states are it, as it is now);
   * one deleted since is undefined. Its record always has room: it may be the one
   * beyond MAX_WAITING_RECORDS.
   */
  revoke(key: KeyRecord, revocation: Revocation, record: AuditRecord): Promise<KeyChange | undefined>;
  /**
   * Records an expiry warning in a key that is still active (live, enabled, neither
   * rotated nor revoked) with that expiry and not warned of it yet: true. False, and
   * nothing written, when it no longer is. Throws NoRoomForRecordError as update does.
   */
  warnOfExpiry(key: KeyRecord, warning: ExpiryWarning): Promise<boolean>;
  /**
   * Marks a key rotated and sets its retirement, if it is still the tenant's key and
   * either not rotated and not expired at `unexpiredAt`, or rotated to the unfinished
   * replacement it `supersedes`. Otherwise `gone` (it no longer exists) or `changed`
   * (it was rotated, revoked or expired meanwhile), and nothing is written. A retry of a
   * write that landed recognises it. The rotation's record waits in the replacement.
   */
  retire(
    key: KeyRecord,
    retirement: { rotation: Rotation; expiresAt: string },
    condition: { supersedes: string } | { unexpiredAt: string },
  ): Promise<'retired' | 'gone' | 'changed'>;
  /** Makes a pending replacement live, and with it the record it holds. A retry of a write that landed recognises it. */
  activate(replacement: KeyRecord): Promise<void>;
  /** Undoes `retire` for this rotation, if the key still carries it: its own expiry back, no rotation. */
  restore(key: KeyRecord, rotation: Rotation): Promise<void>;
  /** Deletes a key's item outright: a rotation's replacement nobody saw. Returns what was deleted, undefined when it was gone. */
  delete(key: KeyRecord): Promise<KeyRecord | undefined>;
  /**
   * Deletes a key in two steps: this marks it deleted (to every reader it is gone
   * from now on) with its record, in one write; settling its last record then
   * removes the item. `gone` when it was deleted already.
   */
  markDeleted(key: KeyRecord, record: AuditRecord): Promise<'marked' | 'gone'>;
  /**
   * Takes delivered (or withdrawn) records out of their item, if they are still
   * there; the item of a deleted key goes with its last record. With
   * `requestCompleted`, the item no longer names the idempotent request that issued it.
   */
  settleAudit(item: AuditedItem, auditIds: readonly string[], options?: { requestCompleted?: boolean }): Promise<void>;
  /** Keys whose oldest record has waited since before `before`: deliveries that were interrupted. */
  pendingAudits(before: string): Promise<KeyRecord[]>;
  /** The records waiting in the tenant's live keys, oldest first per key. */
  waitingRecords(tenantId: string): Promise<AuditRecord[]>;
  /**
   * Records use, unless it was already recorded after `notBefore`. Never throws
   * for a stale write. `signal` abandons the write, retries included.
   */
  recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void>;
}
