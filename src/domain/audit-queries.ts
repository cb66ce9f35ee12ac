import type { AuditReader, AuditRecord, WaitingAuditReader } from './audit';
import { decodeAuditCursor, encodeAuditCursor } from './cursor';
import { listAuditQuerySchema, parseOrThrow, tenantIdSchema } from './validation';

export interface AuditList {
  items: AuditRecord[];
  nextCursor: string | null;
}

const newestFirst = (a: AuditRecord, b: AuditRecord) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1);

/**
 * Reading a tenant's audit trail: newest first, paged by an opaque cursor only
 * this tenant's trail accepts. A change's record reaches the log after the change
 * has answered, so the records still waiting in the tenant's items are read too
 * and merged in: a read right after a change shows its record.
 */
export class AuditQueries {
  constructor(
    private readonly log: AuditReader,
    private readonly waiting: readonly WaitingAuditReader[],
  ) {}

  async list(tenantId: string, query: unknown): Promise<AuditList> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const { limit, cursor, keyId, from, to } = parseOrThrow(listAuditQuerySchema, query, '', 'query');
    const after = cursor === undefined ? undefined : decodeAuditCursor(tenant, cursor);
    const [page, ...waiting] = await Promise.all([
      this.log.list(tenant, { limit, after, keyId, from, to }),
      ...this.waiting.map((reader) => reader.waitingRecords(tenant)),
    ]);
    const inRange = (record: AuditRecord) =>
      (keyId === undefined || record.keyId === keyId) &&
      (from === undefined || record.at >= from) &&
      (to === undefined || record.at <= to) &&
      (after === undefined || newestFirst(record, { ...record, ...after }) > 0);
    // A record may be in both, delivered just now and not yet taken out of its item: one copy.
    const merged = new Map(page.items.map((record) => [record.id, record]));
    for (const record of waiting.flat().filter(inRange)) merged.set(record.id, record);
    const items = [...merged.values()].sort(newestFirst);
    // The log's page ends where it ends; waiting records past that end belong to a later page.
    const end = page.next;
    const onThisPage = end ? items.filter((record) => newestFirst(record, { ...record, ...end }) <= 0) : items;
    const shown = onThisPage.slice(0, limit);
    const more = onThisPage.length > limit || end !== undefined;
    const last = shown[shown.length - 1];
    return { items: shown, nextCursor: more && last ? encodeAuditCursor(tenant, { at: last.at, id: last.id }) : null };
  }
}
