import type { ApiKey, IssuedApiKey } from '../domain/api-key';
import type { KeyList } from '../domain/key-queries';
import { routeFor } from '../routes';
import { callRoute, type RouteRequest } from './route-call';
import type { CallOptions, Transport } from './transport';

export type { ApiKey, IssuedApiKey, KeyList };

/*
 * The request bodies, spelled out so the client's declarations need no zod;
 * test/unit/client/input-types.test.ts holds them to the schemas the API validates with.
 */

export interface CreateKeyInput {
  /** 1–100 characters, no control characters. */
  name: string;
  /** At most 20, each matching `^[a-z][a-z0-9_.:-]{0,63}$`. */
  scopes?: string[];
  /** ISO-8601 with a zone, in the future; null or absent: never. */
  expiresAt?: string | null;
  /** At most 10 values for the key's backends, each at most 256 characters, named `^[a-zA-Z][a-zA-Z0-9_]{0,31}$`. */
  meta?: Record<string, string>;
}

/** Any of a key's fields to change, at least one. */
export interface KeyChanges {
  name?: string;
  /** Replaces the key's scopes. */
  scopes?: string[];
  enabled?: boolean;
  /** null removes the expiry. */
  expiresAt?: string | null;
  /** Replaces the key's metadata whole; `{}` removes it. */
  meta?: Record<string, string>;
}

/** Why a key is revoked: `leaked` (its secret was exposed; the default) or `unused` (nothing needs it any more). */
export interface RevokeKeyInput {
  reason?: 'leaked' | 'unused';
}

export interface RotateKeyInput {
  /** How long the old key keeps working, 0–604800. @default 0 */
  gracePeriodSeconds?: number;
}

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

const issuing = ({ signal, idempotencyKey }: CallOptions & { idempotencyKey?: string }) => ({ signal, idempotencyKey });

/**
 * The key routes of one authorization: the admin routes (`iam`), for the tenant
 * `parameters` names, or the self-service ones (`apiKey`), which act on the calling
 * key's own tenant. Paths and methods come from the route table.
 */
export class KeyRoutes {
  constructor(
    private readonly transport: Transport,
    private readonly authorization: 'iam' | 'apiKey',
    private readonly parameters: Readonly<Record<string, string>> = {},
  ) {}

  async create(
    input: CreateKeyInput,
    options: CallOptions & { idempotencyKey?: string },
  ): Promise<IssuedApiKey | ReplayedApiKey> {
    return (await this.call('createKey', {}, { ...issuing(options), body: input })) as IssuedApiKey | ReplayedApiKey;
  }

  async list(query: ListKeysQuery, options: CallOptions): Promise<KeyList> {
    const { limit, cursor } = query;
    return (await this.call('listKeys', {}, { signal: options.signal, query: { cursor, limit } })) as KeyList;
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
    return (await this.call('getKey', { keyId }, { signal: options.signal })) as ApiKey;
  }

  async update(keyId: string, changes: KeyChanges, options: CallOptions): Promise<ApiKey> {
    return (await this.call('updateKey', { keyId }, { signal: options.signal, body: changes })) as ApiKey;
  }

  async delete(keyId: string, options: CallOptions): Promise<void> {
    // A retry after a lost answer may read 404: the key is gone either way.
    await this.call('deleteKey', { keyId }, { signal: options.signal });
  }

  async rotate(
    keyId: string,
    input: RotateKeyInput,
    options: CallOptions & { idempotencyKey?: string },
  ): Promise<RotatedApiKey | ReplayedApiKey> {
    return (await this.call('rotateKey', { keyId }, { ...issuing(options), body: input })) as RotatedApiKey | ReplayedApiKey;
  }

  /** Ends the key for good; a key revoked already is answered as it is. Safe to repeat. */
  async revoke(keyId: string, input: RevokeKeyInput, options: CallOptions): Promise<ApiKey> {
    return (await this.call('revokeKey', { keyId }, { signal: options.signal, body: input })) as ApiKey;
  }

  private call(
    handler: 'createKey' | 'listKeys' | 'getKey' | 'updateKey' | 'deleteKey' | 'rotateKey' | 'revokeKey',
    parameters: Record<string, string>,
    request: RouteRequest,
  ): Promise<unknown> {
    return callRoute(this.transport, routeFor(handler, this.authorization), {
      ...request,
      parameters: { ...this.parameters, ...parameters },
    });
  }
}
