import { type ApiKey, toApiKey } from './api-key';
import { decodeCursor, encodeCursor } from './cursor';
import { findTenantKey } from './key-lookup';
import type { KeyStore } from './key-store';
import { listKeysQuerySchema, parseOrThrow, tenantIdSchema } from './validation';

export interface KeyList {
  items: ApiKey[];
  nextCursor: string | null;
}

/** Reading a tenant's keys: nothing here writes, so it needs nothing but the store. */
export class KeyQueries {
  private readonly now: () => Date;

  constructor(
    private readonly store: Pick<KeyStore, 'findById' | 'list'>,
    /** @default () => new Date() */
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  async get(tenantId: string, keyId: string): Promise<ApiKey> {
    return toApiKey(await findTenantKey(this.store, tenantId, keyId), this.now());
  }

  /** Newest first, paged by an opaque cursor that only this tenant's list accepts. */
  async list(tenantId: string, query: unknown): Promise<KeyList> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const { limit, cursor } = parseOrThrow(listKeysQuerySchema, query, '', 'query');
    const after = cursor === undefined ? undefined : decodeCursor(tenant, cursor);
    const page = await this.store.list(tenant, limit, after);
    const now = this.now();
    return {
      items: page.items.map((record) => toApiKey(record, now)),
      nextCursor: page.next ? encodeCursor(tenant, page.next) : null,
    };
  }
}
