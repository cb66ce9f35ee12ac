import type { KeyRecord } from '../api-key';
import { ValidationError } from '../errors';
import { isLater } from '../instants';
import type { KeyUpdate } from '../key-store';

/** The fields of a key its audit records show, old and new. */
export const AUDITED_FIELDS = ['name', 'scopes', 'enabled', 'expiresAt', 'meta'] as const;

/** A key's audited fields, as a record shows them: no metadata and none at all read the same. */
export function auditedState(record: Partial<KeyRecord>): Record<(typeof AUDITED_FIELDS)[number], unknown> {
  const meta = record.meta && Object.keys(record.meta).length > 0 ? record.meta : undefined;
  return { name: record.name, scopes: record.scopes, enabled: record.enabled, expiresAt: record.expiresAt, meta };
}

/** The key as `update` would leave it. */
export function withUpdate(key: KeyRecord, update: KeyUpdate): KeyRecord {
  const { expiresAt, ...rest } = update;
  const changed: KeyRecord = { ...key, ...rest };
  if (expiresAt === null) delete changed.expiresAt;
  else if (expiresAt !== undefined) changed.expiresAt = expiresAt;
  return changed;
}

/**
 * Whether going from `before` to `after` takes access away: disabling, dropping a
 * scope, or bringing the expiry forward (which also bounds what the key may grant,
 * and cached authorizer answers carry it). The one place this is decided.
 */
export function takesAccessAway(before: KeyRecord, after: KeyRecord): boolean {
  return (
    (before.enabled && !after.enabled) ||
    before.scopes.some((scope) => !after.scopes.includes(scope)) ||
    isLater(before.expiresAt, after.expiresAt)
  );
}

/** An expiry a caller asks for must be in the future. */
export function assertInFuture(expiresAt: string | null | undefined, now: Date): void {
  if (expiresAt && Date.parse(expiresAt) <= now.getTime()) {
    throw new ValidationError([{ path: 'expiresAt', message: 'must be in the future' }]);
  }
}
