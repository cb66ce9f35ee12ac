import { monotonicFactory } from 'ulid';
import type { Caller } from './caller';

/**
 * The audit trail: one record for every change to a key or a tenant, kept in the
 * tenant table and published as an event. A record is born inside the item it
 * describes, in the same single-item write as the change itself (a transactional
 * outbox of one), so no change is ever committed without it; delivering it
 * (copying it to the log, publishing it, then clearing it from the item) may be
 * interrupted at any point and is finished by whoever next meets the item: the
 * next change to it, or the sweeper.
 */

export type AuditAction = 'key.created' | 'key.updated' | 'key.rotated' | 'key.deleted' | 'tenant.updated';

/** Who made the change: an IAM principal on admin routes, a key on self-service routes, a console user. */
export type AuditActor =
  | { type: 'iam'; arn: string }
  | { type: 'key'; keyId: string }
  | { type: 'user'; sub: string; email: string };

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

/** Where records are published for others to subscribe to. At least once: a record may be published twice, with the same id. */
export interface AuditEvents {
  publish(record: AuditRecord): Promise<void>;
}

/** Records are kept this long unless the deployment says otherwise. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

export interface AuditTrailOptions {
  log: AuditLog;
  events: AuditEvents;
  /** @default 400 days */
  retentionSeconds?: number;
  /** @default () => new Date() */
  now?: () => Date;
}

const ulid = monotonicFactory();

function actorOf(caller: Caller): AuditActor {
  switch (caller.kind) {
    case 'iam':
      return { type: 'iam', arn: caller.arn };
    case 'key':
      return { type: 'key', keyId: caller.keyId };
    case 'user':
      return { type: 'user', sub: caller.subject, email: caller.email ?? '' };
  }
}

/** What is recorded of a value: absent is null, lists and maps as they are. */
export function recorded(value: unknown): unknown {
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

export class AuditTrail {
  private readonly log: AuditLog;
  private readonly events: AuditEvents;
  private readonly retentionSeconds: number;
  private readonly now: () => Date;

  constructor(options: AuditTrailOptions) {
    this.log = options.log;
    this.events = options.events;
    this.retentionSeconds = options.retentionSeconds ?? DEFAULT_AUDIT_RETENTION_DAYS * 24 * 60 * 60;
    this.now = options.now ?? (() => new Date());
    if (!Number.isInteger(this.retentionSeconds) || this.retentionSeconds <= 0) {
      throw new Error(`The audit retention must be a positive whole number of seconds, not ${this.retentionSeconds}`);
    }
  }

  /** The record of a change `caller` is about to make; it is written with the change, in the same write. */
  entry(change: {
    tenantId: string;
    keyId: string | null;
    action: AuditAction;
    changes: Record<string, FieldChange>;
    caller: Caller | undefined;
  }): AuditRecord {
    // Every audited entry point passes its caller; a missing one is a wiring bug, not a change to let through unrecorded.
    if (!change.caller) throw new Error(`A ${change.action} needs its caller to be recorded`);
    const at = this.now();
    return {
      id: `aud_${ulid(at.getTime())}`,
      tenantId: change.tenantId,
      at: at.toISOString(),
      actor: actorOf(change.caller),
      action: change.action,
      keyId: change.keyId,
      changes: change.changes,
      requestId: change.caller.origin?.requestId ?? null,
      sourceIp: change.caller.origin?.sourceIp ?? null,
    };
  }

  /**
   * Delivers a record that is committed in its item: into the log, then out as an
   * event, then `settle` clears it from the item. Each step may be repeated, so an
   * interrupted delivery is simply delivered again, by the next change to the item
   * or by the sweeper; the record leaves the item only once both others succeeded.
   */
  async deliver(record: AuditRecord, settle: () => Promise<void>): Promise<void> {
    await this.log.append(record, Math.ceil(Date.parse(record.at) / 1000) + this.retentionSeconds);
    await this.events.publish(record);
    await settle();
  }
}
