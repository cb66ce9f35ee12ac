import { routeFor } from '../routes';
import type { Usage, UsageRange } from './api-key-service-client';
import { type AuditList, type AuditQuery, AuditRoutes } from './audit-routes';
import { apiKeyHeader } from './authentication';
import type {
  ApiKey,
  CreateKeyInput,
  IdempotentCallOptions,
  IssuedApiKey,
  KeyChanges,
  KeyList,
  ListKeysQuery,
  ReplayedApiKey,
  RevokeKeyInput,
  RotatedApiKey,
  RotateKeyInput,
} from './key-routes';
import { KeyRoutes } from './key-routes';
import { callRoute } from './route-call';
import { type CallOptions, Transport, type TransportOptions } from './transport';

export interface SelfServiceClientOptions extends TransportOptions {
  /** The calling key, sent as `x-api-key`. The key routes need scope `keys:manage`; whoami and usage any valid key. */
  apiKey: string;
}

export interface Whoami {
  tenantId: string;
  keyId: string;
  name: string;
  scopes: string[];
}

/**
 * The routes a key calls with itself: `/keys…` (scope `keys:manage`, on the
 * key's own tenant, handing out no more than it holds), `GET /whoami` and `GET /usage`.
 */
export class SelfServiceClient {
  private readonly transport: Transport;
  private readonly keys: KeyRoutes;
  private readonly audit: AuditRoutes;

  constructor(options: SelfServiceClientOptions) {
    this.transport = new Transport(options, apiKeyHeader(options.apiKey));
    this.keys = new KeyRoutes(this.transport, 'apiKey');
    this.audit = new AuditRoutes(this.transport, 'apiKey');
  }

  /** `GET /audit`: one page of the key's own tenant's audit trail, newest first (scope `keys:manage`). */
  listAudit(query: AuditQuery = {}, options: CallOptions = {}): Promise<AuditList> {
    return this.audit.list(query, options);
  }

  /** `POST /keys`. */
  createKey(input: CreateKeyInput, options: IdempotentCallOptions): Promise<IssuedApiKey | ReplayedApiKey>;
  createKey(input: CreateKeyInput, options?: CallOptions): Promise<IssuedApiKey>;
  createKey(input: CreateKeyInput, options: CallOptions = {}): Promise<IssuedApiKey | ReplayedApiKey> {
    return this.keys.create(input, options);
  }

  /** `GET /keys`: one page, newest first. */
  listKeys(query: ListKeysQuery = {}, options: CallOptions = {}): Promise<KeyList> {
    return this.keys.list(query, options);
  }

  /** Every page of `GET /keys`. */
  listKeyPages(query: ListKeysQuery = {}, options: CallOptions = {}): AsyncGenerator<KeyList, void, undefined> {
    return this.keys.pages(query, options);
  }

  /** `GET /keys/{keyId}`. */
  getKey(keyId: string, options: CallOptions = {}): Promise<ApiKey> {
    return this.keys.get(keyId, options);
  }

  /** `PATCH /keys/{keyId}`. */
  updateKey(keyId: string, changes: KeyChanges, options: CallOptions = {}): Promise<ApiKey> {
    return this.keys.update(keyId, changes, options);
  }

  /** `DELETE /keys/{keyId}`. */
  deleteKey(keyId: string, options: CallOptions = {}): Promise<void> {
    return this.keys.delete(keyId, options);
  }

  /** `POST /keys/{keyId}/rotate`. */
  rotateKey(keyId: string, input: RotateKeyInput, options: IdempotentCallOptions): Promise<RotatedApiKey | ReplayedApiKey>;
  rotateKey(keyId: string, input?: RotateKeyInput, options?: CallOptions): Promise<RotatedApiKey>;
  rotateKey(keyId: string, input: RotateKeyInput = {}, options: CallOptions = {}): Promise<RotatedApiKey | ReplayedApiKey> {
    return this.keys.rotate(keyId, input, options);
  }

  /** `POST /keys/{keyId}/revoke`: the key stops working at once, for good. Safe to repeat. */
  revokeKey(keyId: string, input: RevokeKeyInput = {}, options: CallOptions = {}): Promise<ApiKey> {
    return this.keys.revoke(keyId, input, options);
  }

  /** `GET /whoami`: the calling key's tenant, id, name and scopes. */
  async whoami(options: CallOptions = {}): Promise<Whoami> {
    return (await callRoute(this.transport, routeFor('whoami', 'apiKey'), { signal: options.signal })) as Whoami;
  }

  /** `GET /usage`: the key's own tenant's requests per day, which every key may read. */
  async usage(range: UsageRange = {}, options: CallOptions = {}): Promise<Usage> {
    return (await callRoute(this.transport, routeFor('getUsage', 'apiKey'), {
      signal: options.signal,
      query: { from: range.from, to: range.to },
    })) as Usage;
  }
}
