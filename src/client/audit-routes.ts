import type { AuditActor, AuditRecord, FieldChange } from '../domain/audit';
import type { AuditList } from '../domain/audit-queries';
import { routeFor } from '../routes';
import { callRoute } from './route-call';
import type { CallOptions, Transport } from './transport';

export type { AuditActor, AuditList, AuditRecord, FieldChange };

/** Which records to read, newest first. */
export interface AuditQuery {
  /** Records per page, 1–100. @default 20 */
  limit?: number;
  /** The `nextCursor` of the page before. */
  cursor?: string;
  /** Only this key's records. */
  keyId?: string;
  /** Only records at or after this ISO-8601 instant. */
  from?: string;
  /** Only records at or before this ISO-8601 instant. */
  to?: string;
}

/** The audit trail of one authorization: the admin route (`iam`) for the tenant `parameters` names, or the self-service one (`apiKey`). */
export class AuditRoutes {
  constructor(
    private readonly transport: Transport,
    private readonly authorization: 'iam' | 'apiKey',
    private readonly parameters: Readonly<Record<string, string>> = {},
  ) {}

  async list(query: AuditQuery, options: CallOptions): Promise<AuditList> {
    const { limit, cursor, keyId, from, to } = query;
    return (await callRoute(this.transport, routeFor('listAudit', this.authorization), {
      signal: options.signal,
      parameters: this.parameters,
      query: { cursor, limit, keyId, from, to },
    })) as AuditList;
  }

  /** Every page, newest first, from the first (or `cursor`'s) to the last. */
  async *pages(query: AuditQuery, options: CallOptions): AsyncGenerator<AuditList, void, undefined> {
    let cursor = query.cursor;
    do {
      const page = await this.list({ ...query, cursor }, options);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
}
