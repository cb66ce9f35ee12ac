import type { ProtectedMethod } from './protected-methods';

/**
 * The single source of truth for the HTTP API. The CDK construct, the local
 * gateway and the authorizer's policy are all built from these tables.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** `iam`: SigV4-signed admin calls. `apiKey`: the x-api-key REQUEST authorizer. `none`: open to anyone (the API's own description). */
export type RouteAuthorization = 'iam' | 'apiKey' | 'none';

export type HandlerName =
  | 'createKey'
  | 'listKeys'
  | 'getKey'
  | 'updateKey'
  | 'deleteKey'
  | 'rotateKey'
  | 'whoami'
  | 'verifyKey'
  | 'openApi';

export type TableAction =
  | 'dynamodb:PutItem'
  | 'dynamodb:GetItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query';

/**
 * What a function's domain operations do to the authorizer caches of the
 * protected stages: flush them now (a change revoked or narrowed access), or
 * schedule a flush for a moment a key stops working on its own (an expiry, a
 * grace period's end).
 */
export type InvalidationCapability = 'flushNow' | 'flushAt';

export interface HandlerDefinition {
  /** The module under lambdas/ that exports `handler`. */
  entry: string;
  /** DynamoDB actions it needs on the key table itself. */
  tableActions: readonly TableAction[];
  /**
   * Whether it verifies presented keys as the authorizer does, and so gets the
   * authorizer's access: GetItem by hash, and the one UpdateItem of lastUsedAt.
   */
  verifiesKeys: boolean;
  /** DynamoDB actions it needs on the table's GSI byTenant. */
  indexActions: readonly TableAction[];
  /** DynamoDB actions it needs on the tenant table (idempotent requests). */
  tenantTableActions: readonly TableAction[];
  /** The invalidation its operations perform; the construct grants exactly these, with their settings. */
  invalidation: readonly InvalidationCapability[];
  /** Whether it issues new keys, and so needs the deployment's key prefix. */
  issuesKeys: boolean;
}

/** A function that reads and writes nothing but what its definition adds. */
const NO_STORE_ACCESS: Omit<HandlerDefinition, 'entry'> = {
  verifiesKeys: false,
  tableActions: [],
  indexActions: [],
  tenantTableActions: [],
  invalidation: [],
  issuesKeys: false,
};

export const HANDLERS: Record<HandlerName, HandlerDefinition> = {
  createKey: {
    entry: 'create-key',
    verifiesKeys: false,
    // GetItem recognises, after a retried PutItem, the item its first attempt wrote.
    tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
    // A repeat of an idempotent request finds the key its first attempt issued.
    indexActions: ['dynamodb:Query'],
    // Idempotent requests: claimed with PutItem, read back, taken over and completed with UpdateItem.
    tenantTableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    invalidation: ['flushAt'],
    issuesKeys: true,
  },
  listKeys: {
    entry: 'list-keys',
    verifiesKeys: false,
    tableActions: [],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    invalidation: [],
    issuesKeys: false,
  },
  getKey: {
    entry: 'get-key',
    verifiesKeys: false,
    tableActions: [],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    invalidation: [],
    issuesKeys: false,
  },
  updateKey: {
    entry: 'update-key',
    verifiesKeys: false,
    tableActions: ['dynamodb:UpdateItem'],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    invalidation: ['flushNow', 'flushAt'],
    issuesKeys: false,
  },
  deleteKey: {
    entry: 'delete-key',
    verifiesKeys: false,
    tableActions: ['dynamodb:DeleteItem'],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    invalidation: ['flushNow'],
    issuesKeys: false,
  },
  rotateKey: {
    entry: 'rotate-key',
    verifiesKeys: false,
    // GetItem tells why a conditional write failed, or recognises one that landed; DeleteItem
    // withdraws a pending replacement when the rotation cannot finish.
    tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    invalidation: ['flushNow', 'flushAt'],
    issuesKeys: true,
  },
  whoami: { ...NO_STORE_ACCESS, entry: 'whoami' },
  verifyKey: { ...NO_STORE_ACCESS, entry: 'verify-key', verifiesKeys: true },
  openApi: { ...NO_STORE_ACCESS, entry: 'openapi' },
};

/** The module under lambdas/ of the x-api-key authorizer, which is behind no route. */
export const AUTHORIZER_ENTRY = 'authorizer';
/** The module under lambdas/ of the flush queue's consumer, which is behind no route either. */
export const FLUSHER_ENTRY = 'flush-authorizer-caches';

export interface Route {
  method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  path: string;
  handler: HandlerName;
  authorization: RouteAuthorization;
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
  { method: 'POST', path: '/verify', handler: 'verifyKey', authorization: 'iam' },
  { method: 'GET', path: '/openapi.json', handler: 'openApi', authorization: 'none' },
];

/** The service's own methods behind the x-api-key authorizer, declared as any protected API declares its methods. */
export const SERVICE_PROTECTED_METHODS: readonly ProtectedMethod[] = ROUTES.filter(
  (route) => route.authorization === 'apiKey',
).map(({ method, path, scope }) => (scope === undefined ? { method, path } : { method, path, scope }));

/** A route's path as execute-api ARNs name it: path parameters become `*`. */
export function routePathPattern(route: Pick<Route, 'path'>): string {
  return route.path.replace(/\{[^}]+\}/g, '*');
}
