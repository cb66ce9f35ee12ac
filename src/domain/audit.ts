import { monotonicFactory } from 'ulid';
import type * as z from 'zod/mini';
import type { Caller } from './caller';
import type { auditActorSchema } from './validation';

/**
 * The audit trail: one record for every change to a key or a tenant, kept in the
 * tenant table and published as an event. A record is born inside the item it
 * describes, in the same single-item write as the change itself (a transactional
 * outbox of one), so no change is ever committed without it. Delivering it
 * (audit-delivery.ts) happens after the change has answered, and may be
 * interrupted at any point: whatever interrupts it, the record waits in its item.
 */

/** Every action the trail records. Adding one is adding it here; the API's schema of records takes this list. */
export const AUDIT_ACTIONS = [
  'key.created',
  'key.updated',
  'key.rotated',
  'key.deleted',
  'key.revoked',
  'key.expiring',
  'tenant.updated',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who made the change: an IAM principal on admin routes, a key on self-service
 * routes (with its name at the time; null in records made before names were
 * recorded), a console user, whoever held a key and revoked it with its secret,
 * a secret scanner that found it in public (and where), or the service itself
 * (an expiry warning). One kind per line of `auditActorSchema`.
 */
export type AuditActor = z.output<typeof auditActorSchema>;

/** A changed field: what it was before and what it is now; `null` for absent. */
export interface FieldChange {
  old: unknown;
  new: unknown;
}

/** One change as the trail keeps it. It never holds a key, nor a key's hash. */
export interface AuditRecord {
  /** `aud_` and a ULID: records sort by time. */
  id: string;
  tenantId: string;
  at: string;
  actor: AuditActor;
  action: AuditAction;
  /** The key changed; null for a change to the tenant itself. */
  keyId: string | null;
  /** The key's name at the time of the change; null for a change to the tenant (and in records made before names were recorded). */
  keyName: string | null;
  changes: Record<string, FieldChange>;
  /** The API Gateway request id of the request that made the change, when known. */
  requestId: string | null;
  sourceIp: string | null;
}

export const AUDIT_ID_PATTERN = /^aud_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Where delivered records are kept, each until its `expiresAt` (epoch seconds). Writing the same record twice keeps one. */
export interface AuditLog {
  append(record: AuditRecord, expiresAt: number): Promise<void>;
}

/** Where reading resumes: after the last record of the previous page. */
export interface AuditPosition {
  at: string;
  id: string;
}

/** Which records to read, newest first: at most `limit`, optionally of one key, within [from, to]. */
export interface AuditQuery {
  limit: number;
  after?: AuditPosition;
  keyId?: string;
  from?: string;
  to?: string;
}

export interface AuditPage {
  items: AuditRecord[];
  next?: AuditPosition;
}

/** The log, read. */
export interface AuditReader {
  list(tenantId: string, query: AuditQuery): Promise<AuditPage>;
}

/** Records of a tenant's changes that wait in their items, not yet in the log. */
export interface WaitingAuditReader {
  waitingRecords(tenantId: string): Promise<AuditRecord[]>;
}

/** Where records are published for others to subscribe to. At least once: a record may be published twice, with the same id. */
export interface AuditEvents {
  /** Publishes records, in this order; answers the ids of those that were not published (they wait for another delivery). */
  publish(records: readonly AuditRecord[]): Promise<ReadonlySet<string>>;
}

/** Records are kept this long unless the deployment says otherwise. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

const ulid = monotonicFactory();

function auditActorOf(caller: Caller): AuditActor {
  switch (caller.kind) {
    case 'iam':
      return { type: 'iam', arn: caller.arn };
    case 'key':
      return { type: 'key', keyId: caller.keyId, keyName: caller.keyName };
    case 'user':
      return { type: 'user', sub: caller.subject, email: caller.email ?? '' };
    case 'holder':
      return { type: 'holder' };
    case 'scanner':
      return { type: 'scanner', source: caller.source, url: caller.url };
    case 'service':
      return { type: 'service' };
  }
}

/** What is recorded of a value: absent is null, lists and maps as they are. */
function recorded(value: unknown): unknown {
  return value === undefined ? null : value;
}

/** The fields whose values differ between `before` and `after`, each with both values. */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  fields: readonly string[],
): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    const [old, now] = [recorded(before[field]), recorded(after[field])];
    if (JSON.stringify(old) !== JSON.stringify(now)) changes[field] = { old, new: now };
  }
  return changes;
}

/** The record of a change `caller` makes at `at`; it is written with the change, in the same write. */
export function auditRecordOf(change: {
  tenantId: string;
  keyId: string | null;
  keyName: string | null;
  action: AuditAction;
  changes: Record<string, FieldChange>;
  caller: Caller;
  at: Date;
}): AuditRecord {
  return {
    id: `aud_${ulid(change.at.getTime())}`,
    tenantId: change.tenantId,
    at: change.at.toISOString(),
    actor: auditActorOf(change.caller),
    action: change.action,
    keyId: change.keyId,
    keyName: change.keyName,
    changes: change.changes,
    requestId: change.caller.origin?.requestId ?? null,
    sourceIp: change.caller.origin?.sourceIp ?? null,
  };
}
