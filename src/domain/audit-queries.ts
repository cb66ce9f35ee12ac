import type { AuditReader, AuditRecord } from './audit';
import { decodeAuditCursor, encodeAuditCursor } from './cursor';
import { listAuditQuerySchema, parseOrThrow, tenantIdSchema } from './validation';

export interface AuditList {
  items: AuditRecord[];
  nextCursor: string | null;
}

/** Reading a tenant's audit trail: newest first, paged by an opaque cursor only this tenant's trail accepts. */
export class AuditQueries {
  constructor(private readonly reader: AuditReader) {}

  async list(tenantId: string, query: unknown): Promise<AuditList> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const { limit, cursor, keyId, from, to } = parseOrThrow(listAuditQuerySchema, query, '', 'query');
    const after = cursor === undefined ? undefined : decodeAuditCursor(tenant, cursor);
    const page = await this.reader.list(tenant, { limit, after, keyId, from, to });
    return { items: page.items, nextCursor: page.next ? encodeAuditCursor(tenant, page.next) : null };
  }
}
