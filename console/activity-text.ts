/**
 * The Activity view's words: which key a record is about and who acted, by the
 * names the records carry (the key's name at the time, and the acting key's).
 * Records written before they carried names fall back to the key's name now,
 * then to a name the record changed, then to the id.
 */
import type { ApiKey } from '../src/domain/api-key';
import type { AuditActor, AuditRecord } from '../src/domain/audit';

type KeyActor = Extract<AuditActor, { type: 'key' }>;

/** An actor as read from the API: a key actor names its key, except in older records. */
export type ActivityActor = Exclude<AuditActor, KeyActor> | (Omit<KeyActor, 'keyName'> & { keyName?: string | null });

/** A record as read from the API: `keyName` is the key's name at the time (null for a tenant's record), absent in older ones. */
export type ActivityRecord = Omit<AuditRecord, 'actor' | 'keyName'> & { actor: ActivityActor; keyName?: string | null };

/** A field a record changed, old and new, for the details column. */
export interface ChangeText {
  field: string;
  old: unknown;
  new: unknown;
}

const ACTION_TEXT: Readonly<Record<string, string>> = {
  'key.created': 'Created',
  'key.updated': 'Changed',
  'key.rotated': 'Rotated',
  'key.deleted': 'Deleted',
  'key.revoked': 'Revoked',
  'key.expiring': 'Expiring soon',
  'tenant.updated': 'Changed the plan',
};

/** What happened, in words; an action newer than this console, as the API names it. */
export function actionText(record: Pick<ActivityRecord, 'action'>): string {
  return ACTION_TEXT[record.action] ?? record.action;
}

/** The key a record is about, by name where anything names it; undefined for a tenant's record. */
export function keyText(record: ActivityRecord, keys: readonly ApiKey[] = []): string | undefined {
  if (record.keyName) return record.keyName;
  if (record.keyId === null) return undefined;
  const named = record.changes.name;
  const changedName = named?.new ?? named?.old;
  return (
    keys.find((key) => key.id === record.keyId)?.name ??
    (typeof changedName === 'string' ? changedName : undefined) ??
    record.keyId
  );
}

/** Who made the change. */
export function actorText(actor: ActivityActor): string {
  switch (actor.type) {
    case 'user':
      return actor.email || actor.sub;
    case 'key':
      return actor.keyName ? `${actor.keyName} (API key)` : `API key ${actor.keyId}`;
    case 'iam':
      return 'An administrator';
    case 'holder':
      return "The key's holder";
    case 'scanner':
      return actor.source === 'github' ? 'GitHub secret scanning' : 'A secret scanner';
    case 'service':
      return 'The service';
    default:
      // An actor newer than this console (the service is updated apart from the pages that embed it).
      return (actor as { type: string }).type;
  }
}

/** What a change to a key or to the plan changed, field by field; nothing for a create, rotate or delete, which say it all. */
export function changesOf(record: ActivityRecord): ChangeText[] {
  if (record.action !== 'key.updated' && record.action !== 'tenant.updated') return [];
  return Object.entries(record.changes).map(([field, change]) => ({ field, old: change.old, new: change.new }));
}
