/**
 * The single source of truth for the HTTP API. The CDK construct, the local
 * gateway and the authorizer's policy are all built from these tables.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** `iam`: SigV4-signed admin calls. `apiKey`: the x-api-key REQUEST authorizer. */
export type Authorization = 'iam' | 'apiKey';

export type HandlerName = 'createKey' | 'listKeys' | 'getKey' | 'updateKey' | 'deleteKey' | 'rotateKey' | 'whoami';

export type TableAction = 'dynamodb:PutItem' | 'dynamodb:GetItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:Query';

export interface HandlerDefinition {
  /** Source file, relative to the repository root; it exports `handler`. */
  entry: string;
  /** DynamoDB actions the handler needs on the table itself. */
  tableActions: TableAction[];
  /** DynamoDB actions the handler needs on GSI byTenant. */
  indexActions: TableAction[];
  /** Whether it revokes keys, and so may flush the stage's authorizer cache. */
  flushesAuthorizerCache: boolean;
  /**
   * Whether it sets expiry times (expiresAt, or a rotation's grace period), and so
   * schedules a cache flush for each, so that a cached Allow cannot outlive the key.
   */
  schedulesAuthorizerCacheFlush: boolean;
}

export const HANDLERS: Record<HandlerName, HandlerDefinition> = {
  createKey: {
    entry: 'lambdas/create-key.ts',
    tableActions: ['dynamodb:PutItem'],
    indexActions: [],
    flushesAuthorizerCache: false,
    schedulesAuthorizerCacheFlush: true,
  },
  listKeys: { entry: 'lambdas/list-keys.ts', tableActions: [], indexActions: ['dynamodb:Query'], flushesAuthorizerCache: false, schedulesAuthorizerCacheFlush: false },
  getKey: { entry: 'lambdas/get-key.ts', tableActions: [], indexActions: ['dynamodb:Query'], flushesAuthorizerCache: false, schedulesAuthorizerCacheFlush: false },
  updateKey: {
    entry: 'lambdas/update-key.ts',
    tableActions: ['dynamodb:UpdateItem'],
    indexActions: ['dynamodb:Query'],
    flushesAuthorizerCache: true,
    schedulesAuthorizerCacheFlush: true,
  },
  deleteKey: { entry: 'lambdas/delete-key.ts', tableActions: ['dynamodb:DeleteItem'], indexActions: ['dynamodb:Query'], flushesAuthorizerCache: true, schedulesAuthorizerCacheFlush: false },
  rotateKey: {
    entry: 'lambdas/rotate-key.ts',
    // DeleteItem only withdraws a replacement whose old key vanished mid-rotation.
    tableActions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    indexActions: ['dynamodb:Query'],
    flushesAuthorizerCache: true,
    schedulesAuthorizerCacheFlush: true,
  },
  whoami: { entry: 'lambdas/whoami.ts', tableActions: [], indexActions: [], flushesAuthorizerCache: false, schedulesAuthorizerCacheFlush: false },
};

/** The authorizer is not behind a route, but is bundled and granted the same way. */
export const AUTHORIZER: HandlerDefinition = {
  entry: 'lambdas/authorizer.ts',
  tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  indexActions: [],
  flushesAuthorizerCache: false,
  schedulesAuthorizerCacheFlush: false,
};

export interface Route {
  method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  path: string;
  handler: HandlerName;
  authorization: Authorization;
  /** For `apiKey` routes: the scope the key must hold. Absent means any valid key. */
  scope?: string;
}

export const MANAGE_KEYS_SCOPE = 'keys:manage';

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/tenants/{tenantId}/keys', handler: 'createKey', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}/keys', handler: 'listKeys', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}/keys/{keyId}', handler: 'getKey', authorization: 'iam' },
  { method: 'PATCH', path: '/tenants/{tenantId}/keys/{keyId}', handler: 'updateKey', authorization: 'iam' },
  { method: 'DELETE', path: '/tenants/{tenantId}/keys/{keyId}', handler: 'deleteKey', authorization: 'iam' },
  { method: 'POST', path: '/tenants/{tenantId}/keys/{keyId}/rotate', handler: 'rotateKey', authorization: 'iam' },
  { method: 'POST', path: '/keys', handler: 'createKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/keys', handler: 'listKeys', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/keys/{keyId}', handler: 'getKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'PATCH', path: '/keys/{keyId}', handler: 'updateKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'DELETE', path: '/keys/{keyId}', handler: 'deleteKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'POST', path: '/keys/{keyId}/rotate', handler: 'rotateKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/whoami', handler: 'whoami', authorization: 'apiKey' },
];

/** The stage-relative resource an execute-api policy names for a route: path parameters become `*`. */
export function routeResourcePath(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}`;
}
