import type { ApiKey, AuditActor, AuditRecord, KeyCheck, Tenant, Usage } from '../client';

/** Where the CLI writes: the process's streams, or a test's. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

type Row = [string, string];

function columns(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const orDash = (value: string | null | undefined) => (value === null || value === undefined || value === '' ? '-' : value);

/** One key as `field  value` lines; the secret, where there is one, last. */
export function keyDetails(key: ApiKey & { key?: string; rotatedFrom?: string }): string {
  const rows: Row[] = [
    ['id', key.id],
    ['tenantId', key.tenantId],
    ['name', key.name],
    ['status', key.status],
    ['enabled', String(key.enabled)],
    ['scopes', orDash(key.scopes.join(' '))],
    ['hint', key.hint],
    ['createdAt', key.createdAt],
    ['expiresAt', orDash(key.expiresAt)],
    ['lastUsedAt', orDash(key.lastUsedAt)],
    ['rotatedTo', orDash(key.rotatedTo)],
    ...(key.revokedAt === null ? [] : [['revokedAt', key.revokedAt] as Row, ['revokedReason', orDash(key.revokedReason)] as Row]),
    ...Object.entries(key.meta).map(([name, value]): Row => [`meta.${name}`, value]),
  ];
  if (key.rotatedFrom !== undefined) rows.push(['rotatedFrom', key.rotatedFrom]);
  if (key.key !== undefined) rows.push(['key', key.key]);
  return columns(rows);
}

function actorText(actor: AuditActor): string {
  switch (actor.type) {
    case 'iam':
      return actor.arn;
    case 'key':
      return `key ${actor.keyId}`;
    case 'user':
      return `user ${actor.email || actor.sub}`;
    case 'holder':
      return "the key's holder";
    case 'scanner':
      return `${actor.source} secret scanning${actor.url ? ` (${actor.url})` : ''}`;
    case 'service':
      return 'the service';
  }
}

/** `field: old → new`, for each field a record changed. */
function changesText(record: AuditRecord): string {
  const value = (v: unknown) => (v === null ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
  return orDash(
    Object.entries(record.changes)
      .map(([field, change]) => `${field}: ${value(change.old)} → ${value(change.new)}`)
      .join('; '),
  );
}

/** Audit records as a table, newest first. */
export function auditTable(records: AuditRecord[]): string {
  if (records.length === 0) return 'No audit records.';
  return columns([
    ['AT', 'ACTION', 'KEY', 'ACTOR', 'CHANGES'],
    ...records.map((record) => [record.at, record.action, orDash(record.keyId), actorText(record.actor), changesText(record)]),
  ]);
}

/** Keys as a table, one per line. */
export function keyTable(keys: ApiKey[]): string {
  if (keys.length === 0) return 'No keys.';
  return columns([
    ['ID', 'NAME', 'STATUS', 'SCOPES', 'HINT', 'CREATED', 'EXPIRES', 'LAST USED'],
    ...keys.map((key) => [
      key.id,
      key.name,
      key.status,
      orDash(key.scopes.join(' ')),
      key.hint,
      key.createdAt,
      orDash(key.expiresAt),
      orDash(key.lastUsedAt),
    ]),
  ]);
}

export function keyCheckDetails(check: KeyCheck): string {
  if (!check.valid)
    return columns([
      ['valid', 'false'],
      ['code', check.code],
    ]);
  return columns([
    ['valid', 'true'],
    ['tenantId', check.tenantId],
    ['keyId', check.keyId],
    ['name', check.name],
    ['scopes', orDash(check.scopes.join(' '))],
    ...Object.entries(check.meta).map(([name, value]): Row => [`meta.${name}`, value]),
  ]);
}

/** What goes to stderr beside an issued key: the secret is shown once, or, for a repeat, not at all. */
export function issueNotice(issued: ApiKey & { key?: string }): string {
  return issued.key === undefined
    ? 'This repeats an earlier request with the same idempotency key: that request issued this key, and its secret cannot be shown again.'
    : 'The key is shown only this once: store it now. It cannot be retrieved later.';
}

export function tenantDetails(tenant: Tenant): string {
  return columns([
    ['tenant', tenant.id],
    ['plan', tenant.plan],
    ['createdAt', orDash(tenant.createdAt)],
  ]);
}

export function usageTable(usage: Usage): string {
  return columns([['DATE', 'REQUESTS'], ...usage.items.map((day) => [day.date, String(day.requests)])]);
}
