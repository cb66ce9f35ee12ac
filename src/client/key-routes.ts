import type { z } from 'zod';
import type { ApiKey, IssuedApiKey } from '../domain/api-key';
import type { KeyList } from '../domain/key-queries';
import type { createKeyBodySchema, rotateKeyBodySchema, updateKeyBodySchema } from '../domain/validation';
import { IDEMPOTENCY_KEY_HEADER } from '../http-headers';
import type { CallOptions, Transport } from './transport';

export type { ApiKey, IssuedApiKey, KeyList };
export type CreateKeyInput = z.input<typeof createKeyBodySchema>;
export type KeyChanges = z.input<typeof updateKeyBodySchema>;
export type RotateKeyInput = z.input<typeof rotateKeyBodySchema>;

export interface ListKeysQuery {
  /** Keys per page, 1–100. @default 20 */
  limit?: number;
  /** The `nextCursor` of the page before. */
  cursor?: string;
}

/** A rotation's replacement, with its secret `key` and the id of the key it replaces. */
export type RotatedApiKey = IssuedApiKey & { rotatedFrom: string };

/**
 * What a repeat of an idempotent create or rotate answers: the key the first
 * request issued, without its secret, which is never stored and so cannot be shown again.
 */
export type ReplayedApiKey = Omit<IssuedApiKey, 'key'> & { key?: undefined };

export interface IdempotentCallOptions extends CallOptions {
  /**
   * Makes the call safe to retry: a repeat with the same key answers the key the
   * first request issued (a ReplayedApiKey) instead of issuing another. Without
   * one, a create or rotate is never retried. Any 1–255 printable ASCII characters; a UUID does.
   */
  idempotencyKey: string;
}

/**
 * The key routes under one prefix: the admin routes' `/tenants/{tenantId}/keys`,
 * or the self-service `/keys`, which act on the calling key's own tenant.
 */
export class KeyRoutes {
  constructor(
    private readonly transport: Transport,
    private readonly prefix: string,
  ) {}

  async create(
    input: CreateKeyInput,
    options: CallOptions & { idempotencyKey?: string },
  ): Promise<IssuedApiKey | ReplayedApiKey> {
    return this.issue(this.prefix, input, options);
  }

  async list(query: ListKeysQuery, options: CallOptions): Promise<KeyList> {
    const { limit, cursor } = query;
    const response = await this.transport.send({
      method: 'GET',
      path: this.prefix,
      query: { cursor, limit },
      repeatable: true,
      signal: options.signal,
    });
    return response.body as KeyList;
  }

  /** Every page, in order, from the first (or `cursor`'s) to the last. */
  async *pages(query: ListKeysQuery, options: CallOptions): AsyncGenerator<KeyList, void, undefined> {
    let cursor = query.cursor;
    do {
      const page = await this.list({ limit: query.limit, cursor }, options);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  async get(keyId: string, options: CallOptions): Promise<ApiKey> {
    const response = await this.transport.send({
      method: 'GET',
      path: this.keyPath(keyId),
      repeatable: true,
      signal: options.signal,
    });
    return response.body as ApiKey;
  }

  async update(keyId: string, changes: KeyChanges, options: CallOptions): Promise<ApiKey> {
    // Every change sets values outright, so a repeat changes nothing more.
    const response = await this.transport.send({
      method: 'PATCH',
      path: this.keyPath(keyId),
      body: changes,
      repeatable: true,
      signal: options.signal,
    });
    return response.body as ApiKey;
  }

  async delete(keyId: string, options: CallOptions): Promise<void> {
    // A retry after a lost answer may read 404: the key is gone either way.
    await this.transport.send({ method: 'DELETE', path: this.keyPath(keyId), repeatable: true, signal: options.signal });
  }

  async rotate(
    keyId: string,
    input: RotateKeyInput,
    options: CallOptions & { idempotencyKey?: string },
  ): Promise<RotatedApiKey | ReplayedApiKey> {
    return this.issue(`${this.keyPath(keyId)}/rotate`, input, options) as Promise<RotatedApiKey | ReplayedApiKey>;
  }

  private async issue(
    path: string,
    body: unknown,
    options: CallOptions & { idempotencyKey?: string },
  ): Promise<IssuedApiKey | ReplayedApiKey> {
    const { idempotencyKey, signal } = options;
    const response = await this.transport.send({
      method: 'POST',
      path,
      body,
      headers: idempotencyKey === undefined ? {} : { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey },
      repeatable: idempotencyKey !== undefined,
      signal,
    });
    return response.body as IssuedApiKey | ReplayedApiKey;
  }

  private keyPath(keyId: string): string {
    return `${this.prefix}/${encodeURIComponent(keyId)}`;
  }
}
