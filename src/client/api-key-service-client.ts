import type { KeyCheck } from '../domain/key-check';
import type { RevocationAccepted } from '../domain/leaked-keys';
import type { Tenant } from '../domain/tenants';
import { routeFor } from '../routes';
import { type AuditList, type AuditQuery, AuditRoutes } from './audit-routes';
import { type AwsCredentials, type AwsCredentialsProvider, anonymous, signingRegion, sigV4 } from './authentication';
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

export type { KeyCheck, RevocationAccepted, Tenant };

/** Requests per day (UTC), oldest first. */
export interface Usage {
  items: { date: string; requests: number }[];
}

/** A range of UTC dates, `YYYY-MM-DD`, both included; at most 90 days. By default the last seven, today included. */
export interface UsageRange {
  from?: string;
  to?: string;
}

export interface ApiKeyServiceClientOptions extends TransportOptions {
  /**
   * The Region to sign for.
   * @default the endpoint's own for an execute-api URL, else `AWS_REGION`, else `us-east-1` (local mode's)
   */
  region?: string;
  /**
   * What to sign with.
   * @default the AWS SDK's default chain (`fromNodeProviderChain`): environment, SSO, profiles, container and instance roles
   */
  credentials?: AwsCredentials | AwsCredentialsProvider;
}

/**
 * The admin API, for a back office: every admin route of the route table (keys,
 * tenants, usage, the audit trail and verification), signed with SigV4 by a
 * principal allowed `execute-api:Invoke` on them (the construct's `grantAdmin`),
 * and the OpenAPI document. Errors are ApiProblemError.
 */
export class ApiKeyServiceClient {
  private readonly transport: Transport;
  private readonly openTransport: Transport;

  constructor(options: ApiKeyServiceClientOptions) {
    const region = signingRegion(options.endpoint, options.region);
    this.transport = new Transport(options, sigV4(region, options.credentials));
    this.openTransport = new Transport(options, anonymous);
  }

  /** `POST /tenants/{tenantId}/keys`: the one response that shows the new secret, `key`. */
  createKey(tenantId: string, input: CreateKeyInput, options: IdempotentCallOptions): Promise<IssuedApiKey | ReplayedApiKey>;
  createKey(tenantId: string, input: CreateKeyInput, options?: CallOptions): Promise<IssuedApiKey>;
  createKey(tenantId: string, input: CreateKeyInput, options: CallOptions = {}): Promise<IssuedApiKey | ReplayedApiKey> {
    return this.keysOf(tenantId).create(input, options);
  }

  /** `GET /tenants/{tenantId}/keys`: one page, newest first. */
  listKeys(tenantId: string, query: ListKeysQuery = {}, options: CallOptions = {}): Promise<KeyList> {
    return this.keysOf(tenantId).list(query, options);
  }

  /** Every page of `GET /tenants/{tenantId}/keys`: `for await (const page of client.listKeyPages('acme'))`. */
  listKeyPages(tenantId: string, query: ListKeysQuery = {}, options: CallOptions = {}): AsyncGenerator<KeyList, void, undefined> {
    return this.keysOf(tenantId).pages(query, options);
  }

  /** `GET /tenants/{tenantId}/keys/{keyId}`. */
  getKey(tenantId: string, keyId: string, options: CallOptions = {}): Promise<ApiKey> {
    return this.keysOf(tenantId).get(keyId, options);
  }

  /** `PATCH /tenants/{tenantId}/keys/{keyId}`: any of name, scopes, enabled, expiresAt (null removes it). */
  updateKey(tenantId: string, keyId: string, changes: KeyChanges, options: CallOptions = {}): Promise<ApiKey> {
    return this.keysOf(tenantId).update(keyId, changes, options);
  }

  /** `DELETE /tenants/{tenantId}/keys/{keyId}`: the key stops working at once. */
  deleteKey(tenantId: string, keyId: string, options: CallOptions = {}): Promise<void> {
    return this.keysOf(tenantId).delete(keyId, options);
  }

  /** `POST /tenants/{tenantId}/keys/{keyId}/rotate`: a replacement, with its secret; the old key stops after the grace period. */
  rotateKey(
    tenantId: string,
    keyId: string,
    input: RotateKeyInput,
    options: IdempotentCallOptions,
  ): Promise<RotatedApiKey | ReplayedApiKey>;
  rotateKey(tenantId: string, keyId: string, input?: RotateKeyInput, options?: CallOptions): Promise<RotatedApiKey>;
  rotateKey(
    tenantId: string,
    keyId: string,
    input: RotateKeyInput = {},
    options: CallOptions = {},
  ): Promise<RotatedApiKey | ReplayedApiKey> {
    return this.keysOf(tenantId).rotate(keyId, input, options);
  }

  /**
   * `POST /tenants/{tenantId}/keys/{keyId}/revoke`: the key stops working at once, for
   * good (it cannot be enabled, re-scoped, extended or rotated again). Safe to repeat.
   */
  revokeKey(tenantId: string, keyId: string, input: RevokeKeyInput = {}, options: CallOptions = {}): Promise<ApiKey> {
    return this.keysOf(tenantId).revoke(keyId, input, options);
  }

  /**
   * `POST /revoke`, which needs no credentials: whoever holds a key may end it with the
   * key itself. The answer is the same whether the key existed or not; a key whose
   * format or checksum is wrong is an ApiProblemError (400).
   */
  async revokeKeyBySecret(key: string, options: CallOptions = {}): Promise<RevocationAccepted> {
    const route = routeFor('revokeKeyBySecret', 'none');
    return (await callRoute(this.openTransport, route, { signal: options.signal, body: { key } })) as RevocationAccepted;
  }

  /** `GET /tenants/{tenantId}/audit`: one page of the tenant's audit trail, newest first. */
  listAudit(tenantId: string, query: AuditQuery = {}, options: CallOptions = {}): Promise<AuditList> {
    return this.auditOf(tenantId).list(query, options);
  }

  /** Every page of `GET /tenants/{tenantId}/audit`. */
  listAuditPages(
    tenantId: string,
    query: AuditQuery = {},
    options: CallOptions = {},
  ): AsyncGenerator<AuditList, void, undefined> {
    return this.auditOf(tenantId).pages(query, options);
  }

  /**
   * `POST /verify`: whether `key` may be used (holding `scope`, if given), by the
   * authorizer's rules. Refusals are answers, not errors: `{ valid: false, code }`.
   */
  async verifyKey(key: string, scope?: string, options: CallOptions = {}): Promise<KeyCheck> {
    const body = scope === undefined ? { key } : { key, scope };
    return (await callRoute(this.transport, routeFor('verifyKey', 'iam'), { signal: options.signal, body })) as KeyCheck;
  }

  /** `GET /tenants/{tenantId}`: its plan; a tenant never configured has the default, and `createdAt` null. */
  async getTenant(tenantId: string, options: CallOptions = {}): Promise<Tenant> {
    const parameters = { tenantId };
    return (await callRoute(this.transport, routeFor('getTenant', 'iam'), { signal: options.signal, parameters })) as Tenant;
  }

  /** `PUT /tenants/{tenantId}`: moves the tenant to one of the declared plans. Safe to repeat. */
  async setTenantPlan(tenantId: string, plan: string, options: CallOptions = {}): Promise<Tenant> {
    return (await callRoute(this.transport, routeFor('setTenantPlan', 'iam'), {
      signal: options.signal,
      parameters: { tenantId },
      body: { plan },
    })) as Tenant;
  }

  /** `GET /tenants/{tenantId}/usage`: the tenant's requests per day, as API Gateway counted them. */
  async getUsage(tenantId: string, range: UsageRange = {}, options: CallOptions = {}): Promise<Usage> {
    return (await callRoute(this.transport, routeFor('getUsage', 'iam'), {
      signal: options.signal,
      parameters: { tenantId },
      query: { from: range.from, to: range.to },
    })) as Usage;
  }

  /** `GET /openapi.json`, which needs no credentials: the API's OpenAPI 3.1 document. */
  async openApiDocument(options: CallOptions = {}): Promise<Record<string, unknown>> {
    const document = await callRoute(this.openTransport, routeFor('openApi', 'none'), { signal: options.signal });
    return document as Record<string, unknown>;
  }

  private auditOf(tenantId: string): AuditRoutes {
    return new AuditRoutes(this.transport, 'iam', { tenantId });
  }

  private keysOf(tenantId: string): KeyRoutes {
    return new KeyRoutes(this.transport, 'iam', { tenantId });
  }
}
