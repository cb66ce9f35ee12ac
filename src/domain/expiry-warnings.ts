import { isExpired, type KeyRecord } from './api-key';
import { auditRecordOf } from './audit';
import type { ExpiryWarning } from './key-store';

/**
 * Expiry warnings: an active key with an expiry gets one `key.expiring` record,
 * and so one event, a configurable time before it expires, once per expiry. The
 * record is written into the key's item like any change's (the audit delivery
 * takes it from there), on the condition that the key is still active with that
 * expiry and was not warned of it: so it is never written twice, whichever
 * writes it, and never for a key in a rotation's grace period, disabled, revoked
 * or deleted. Who writes it, in one place (key-commands/change-executor.ts):
 *
 * - a change that leaves an active key with an expiry inside the window (a create,
 *   a new expiry, a key enabled again) writes it in its own write, at once;
 * - otherwise the change schedules it, one schedule per key (a later change moves
 *   it), and the scheduled warning runs the `warnOfExpiry` command then.
 */

/**
 * A warning due sooner than this after the change is written with the change, not
 * scheduled: EventBridge Scheduler runs a schedule within the minute after its
 * time, and a schedule that soon could run before its key is readable.
 */
export const WARNING_SCHEDULING_HORIZON_MS = 60_000;

/** Where warnings wait for their time: EventBridge Scheduler in AWS, a timer in local mode. */
export interface ExpiryWarningSchedule {
  /**
   * Makes sure the key is warned of `expiresAt` at `at`, a moment still ahead: one
   * schedule per key, which a later call for the same key moves. The warning runs
   * `warnOfExpiry`, which writes nothing if the key no longer has that expiry.
   */
  warnAt(key: Pick<KeyRecord, 'tenantId' | 'keyId'>, expiresAt: string, at: string): Promise<void>;
}

export interface ExpiryWarnings {
  /** How long before its expiry a key is warned, in seconds. */
  windowSeconds: number;
  schedule: ExpiryWarningSchedule;
}

/** When a key that expires at `expiresAt` is due its warning. */
export function warningDueAt(expiresAt: string, windowSeconds: number): number {
  return Date.parse(expiresAt) - windowSeconds * 1000;
}

type WarnedState = Pick<
  KeyRecord,
  'expiresAt' | 'expiryWarnedFor' | 'revokedAt' | 'enabled' | 'rotation' | 'pending' | 'deleted'
>;

/**
 * Whether a key may be warned of `expiresAt`, whatever the time: live (not a
 * pending replacement, not deleted), enabled, neither rotated nor revoked, with
 * that expiry, and not warned of it yet. The stores check this as they write a warning.
 */
export function isWarnable(key: WarnedState, expiresAt: string): boolean {
  return (
    !key.pending &&
    !key.deleted &&
    key.enabled &&
    key.rotation === undefined &&
    key.revokedAt === undefined &&
    key.expiresAt === expiresAt &&
    key.expiryWarnedFor !== expiresAt
  );
}

/** Whether a key, as it is at `now`, is one to warn of `expiresAt`: warnable, and that expiry still ahead. */
export function needsWarning(key: WarnedState, expiresAt: string, now: Date): boolean {
  return isWarnable(key, expiresAt) && !isExpired(key, now);
}

/**
 * The warning of a key's expiry: a `key.expiring` record by the service itself,
 * whose `changes.expiresAt` names the expiry (as both old and new: nothing changed).
 */
export function expiryWarningOf(key: Pick<KeyRecord, 'tenantId' | 'keyId' | 'name'>, expiresAt: string, at: Date): ExpiryWarning {
  const record = auditRecordOf({
    tenantId: key.tenantId,
    keyId: key.keyId,
    keyName: key.name,
    action: 'key.expiring',
    changes: { expiresAt: { old: expiresAt, new: expiresAt } },
    caller: { kind: 'service' },
    at,
  });
  return { expiresAt, record };
}
