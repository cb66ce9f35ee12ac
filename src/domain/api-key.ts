import type { AuditRecord } from './audit';
import type { RevocationReason } from './revocation';

/** The stored item. `keyHash` identifies it; the plaintext key is never part of it. */
export interface KeyRecord {
  keyHash: string;
  keyId: string;
  tenantId: string;
  name: string;
  hint: string;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  expiresAt?: string;
  /** Epoch seconds for DynamoDB TTL; present when `expiresAt` is, and on a pending replacement. */
  ttl?: number;
  lastUsedAt?: string;
  /** The operator's metadata for the key's backends; absent when there is none. */
  meta?: Record<string, string>;
  /**
   * A rotation's replacement that is not live yet: it is written before the old key
   * is retired and made live last, so a rotation that fails part-way leaves no live
   * replacement. Nothing authenticates with it, lists or finds it.
   */
  pending?: true;
  /** On a key that was rotated: its replacement, and its own expiry before the rotation retired it. */
  rotation?: Rotation;
  /**
   * The records of its changes not yet delivered, oldest first: each written in the
   * same write as its change, taken out once it is in the trail and published
   * (audit-delivery.ts). A rotation's record waits in its replacement.
   */
  auditRecords?: AuditRecord[];
  /**
   * When the oldest of `auditRecords` was written: present exactly when they are,
   * the key of the sparse index the sweeper and the trail's readers use.
   */
  auditPending?: string;
  /**
   * The idempotent request that issued this key, by its digest: completed by the
   * delivery of the key's first record, so the request's answer waits on no
   * write of its own (idempotency.ts).
   */
  idempotentRequest?: string;
  /** A deleted key whose record is still being delivered: to everyone else, it does not exist. */
  deleted?: true;
  /**
   * When the key was revoked, for good: it is disabled with it, and nothing may
   * enable it again (key-commands/revoke-key.ts).
   */
  revokedAt?: string;
  revokedReason?: RevocationReason;
  /** The expiry its `key.expiring` record warned of: a key is warned once per expiry (key-commands/warn-of-expiry.ts). */
  expiryWarnedFor?: string;
}

export interface Rotation {
  to: string;
  previousExpiresAt: string | null;
}

export type KeyStatus = 'active' | 'disabled' | 'expired' | 'rotated' | 'revoked';

/** The public resource: what every response shows of a key. */
export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  hint: string;
  scopes: string[];
  enabled: boolean;
  status: KeyStatus;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** The replacement of a rotated key. */
  rotatedTo: string | null;
  /** When a revoked key was revoked, and why. */
  revokedAt: string | null;
  revokedReason: RevocationReason | null;
  /** The operator's metadata, passed to backends as `meta.{name}`. */
  meta: Record<string, string>;
}

/** The one response that carries the plaintext: create and rotate. */
export interface IssuedApiKey extends ApiKey {
  key: string;
  rotatedFrom?: string;
}

export function isExpired(record: Pick<KeyRecord, 'expiresAt'>, now: Date): boolean {
  return record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime();
}

/**
 * Revoked first (it is ended for good, whatever else holds), then expired (it cannot
 * be used at all), then disabled, then superseded and in its grace period.
 */
export function statusOf(record: Pick<KeyRecord, 'revokedAt' | 'expiresAt' | 'enabled' | 'rotation'>, now: Date): KeyStatus {
  if (record.revokedAt !== undefined) return 'revoked';
  if (isExpired(record, now)) return 'expired';
  if (!record.enabled) return 'disabled';
  return record.rotation ? 'rotated' : 'active';
}

export function toApiKey(record: KeyRecord, now: Date): ApiKey {
  return {
    id: record.keyId,
    tenantId: record.tenantId,
    name: record.name,
    hint: record.hint,
    scopes: [...record.scopes],
    enabled: record.enabled,
    status: statusOf(record, now),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
    rotatedTo: record.rotation?.to ?? null,
    revokedAt: record.revokedAt ?? null,
    revokedReason: record.revokedReason ?? null,
    meta: { ...record.meta },
  };
}

export function ttlFor(expiresAt: string): number {
  return Math.ceil(Date.parse(expiresAt) / 1000);
}
