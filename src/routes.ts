import type { ProtectedMethod } from './protected-methods';

/**
 * The single source of truth for the HTTP API. The CDK construct, the local
 * gateway and the authorizer's policy are all built from these tables.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * `iam`: SigV4-signed admin calls. `apiKey`: the x-api-key REQUEST authorizer.
 * `jwt`: the console's users, by the bearer token of the operator's identity
 * provider, checked by the JWT authorizer. `none`: open to anyone: the API's own
 * description, and the console's page and its assets, which hold nothing a
 * visitor may not see.
 */
export type RouteAuthorization = 'iam' | 'apiKey' | 'jwt' | 'none';

export type HandlerName =
  | 'createKey'
  | 'listKeys'
  | 'getKey'
  | 'updateKey'
  | 'deleteKey'
  | 'rotateKey'
  | 'listAudit'
  | 'whoami'
  | 'verifyKey'
  | 'openApi'
  | 'consolePage'
  | 'getTenant'
  | 'setTenantPlan'
  | 'getUsage';

export type TableAction =
  | 'dynamodb:PutItem'
  | 'dynamodb:GetItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan';

/**
 * What a function's domain operations do to the authorizer caches of the
 * protected stages: flush them now (a change revoked or narrowed access), or
 * schedule a flush for a moment a key stops working on its own (an expiry, a
 * grace period's end).
 */
export type InvalidationCapability = 'flushNow' | 'flushAt';

/**
 * What a function does with the plans' API Gateway usage plans. `readPlans`: knows
 * the plans (their names and the default). `arrangeKeys`: also finds or creates a
 * tenant's API Gateway API key and moves it between usage plans. `readUsage`: also
 * reads a key's usage. `finishMoves`: also puts a key it knows in a usage plan and
 * takes it out (the reconciler, finishing moves cut short).
 */
export type UsagePlanOperation = 'readPlans' | 'arrangeKeys' | 'readUsage' | 'finishMoves';

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
  /** DynamoDB actions it needs on the tenant table (idempotent requests, the audit trail). */
  tenantTableActions: readonly TableAction[];
  /**
   * Whether it records changes in the audit trail, and so publishes each record to
   * EventBridge and needs the trail's settings. Its table actions include the
   * PutItem of the record into the tenant table and the write that settles it.
   */
  recordsAudit: boolean;
  /** The invalidation its operations perform; the construct grants exactly these, with their settings. */
  invalidation: readonly InvalidationCapability[];
  /** What it does with the usage plans; the construct grants exactly these, with the plans' settings. */
  usagePlans: readonly UsagePlanOperation[];
  /** Whether it issues new keys, and so needs the deployment's key prefix. */
  issuesKeys: boolean;
  /** Whether it serves the console's page, and so needs its assets and its sign-in settings. */
  servesConsole: boolean;
}

/** A function that reads and writes nothing but what its definition adds. */
const NO_STORE_ACCESS: Omit<HandlerDefinition, 'entry'> = {
  verifiesKeys: false,
  tableActions: [],
  indexActions: [],
  tenantTableActions: [],
  recordsAudit: false,
  invalidation: [],
  usagePlans: [],
  issuesKeys: false,
  servesConsole: false,
};

export const HANDLERS: Record<HandlerName, HandlerDefinition> = {
  createKey: {
    entry: 'create-key',
    verifiesKeys: false,
    // GetItem recognises, after a retried PutItem, the item its first attempt wrote; UpdateItem settles its audit record.
    tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    // A repeat of an idempotent request finds the key its first attempt issued.
    indexActions: ['dynamodb:Query'],
    // Idempotent requests: claimed with PutItem, read back, taken over and completed with UpdateItem. Audit records: PutItem.
    // A plan move (the default changed): its note put with PutItem, cleared with DeleteItem.
    tenantTableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    recordsAudit: true,
    invalidation: ['flushAt'],
    // A tenant's first key gets the tenant its API Gateway API key, in its plan's usage plan.
    usagePlans: ['arrangeKeys'],
    issuesKeys: true,
    servesConsole: false,
  },
  listKeys: {
    entry: 'list-keys',
    verifiesKeys: false,
    tableActions: [],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    recordsAudit: false,
    invalidation: [],
    usagePlans: [],
    issuesKeys: false,
    servesConsole: false,
  },
  getKey: {
    entry: 'get-key',
    verifiesKeys: false,
    tableActions: [],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    recordsAudit: false,
    invalidation: [],
    usagePlans: [],
    issuesKeys: false,
    servesConsole: false,
  },
  updateKey: {
    entry: 'update-key',
    verifiesKeys: false,
    // UpdateItem writes the change with its audit record, and settles the record; GetItem tells a refusal's cause.
    tableActions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: ['dynamodb:PutItem'],
    recordsAudit: true,
    invalidation: ['flushNow', 'flushAt'],
    usagePlans: [],
    issuesKeys: false,
    servesConsole: false,
  },
  deleteKey: {
    entry: 'delete-key',
    verifiesKeys: false,
    // UpdateItem marks the key deleted with its audit record; DeleteItem removes it once the record is delivered;
    // GetItem tells a refusal's cause.
    tableActions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: ['dynamodb:PutItem'],
    recordsAudit: true,
    invalidation: ['flushNow'],
    usagePlans: [],
    issuesKeys: false,
    servesConsole: false,
  },
  rotateKey: {
    entry: 'rotate-key',
    verifiesKeys: false,
    // GetItem tells why a conditional write failed, or recognises one that landed; DeleteItem
    // withdraws a pending replacement when the rotation cannot finish.
    tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    indexActions: ['dynamodb:Query'],
    // As createKey's.
    tenantTableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    recordsAudit: true,
    invalidation: ['flushNow', 'flushAt'],
    usagePlans: ['arrangeKeys'],
    issuesKeys: true,
    servesConsole: false,
  },
  listAudit: { ...NO_STORE_ACCESS, entry: 'list-audit', tenantTableActions: ['dynamodb:Query'] },
  whoami: { ...NO_STORE_ACCESS, entry: 'whoami' },
  verifyKey: { ...NO_STORE_ACCESS, entry: 'verify-key', verifiesKeys: true },
  openApi: { ...NO_STORE_ACCESS, entry: 'openapi' },
  consolePage: { ...NO_STORE_ACCESS, entry: 'console-page', servesConsole: true },
  getTenant: { ...NO_STORE_ACCESS, entry: 'get-tenant', tenantTableActions: ['dynamodb:GetItem'], usagePlans: ['readPlans'] },
  setTenantPlan: {
    ...NO_STORE_ACCESS,
    entry: 'set-tenant-plan',
    // The tenant's item: read, its arrangement lease taken and given back, its plan change's record
    // settled, with UpdateItem; the record put into the trail with PutItem; a move's note put with
    // PutItem and cleared with DeleteItem.
    tenantTableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    usagePlans: ['arrangeKeys'],
    recordsAudit: true,
  },
  getUsage: { ...NO_STORE_ACCESS, entry: 'get-usage', tenantTableActions: ['dynamodb:GetItem'], usagePlans: ['readUsage'] },
};

/** The module under lambdas/ of the x-api-key authorizer, which is behind no route. */
export const AUTHORIZER_ENTRY = 'authorizer';
/** The module under lambdas/ of the flush queue's consumer, which is behind no route either. */
export const FLUSHER_ENTRY = 'flush-authorizer-caches';
/** The module under lambdas/ of the custom resource that puts a stack's protected stages under the plans. */
export const USAGE_PLAN_LINK_ENTRY = 'link-usage-plan-stage';
/** The module under lambdas/ of the usage plan reconciler, run on a schedule and by deployments that change a plan. */
export const USAGE_PLAN_RECONCILER_ENTRY = 'reconcile-usage-plans';
/**
 * What the reconciler does with the tenant table to finish plan moves cut short:
 * Query their notes, take each tenant's lease with UpdateItem (GetItem when that
 * is refused, to tell its own retried claim), read the tenant, clear the note
 * with DeleteItem, give the lease back with UpdateItem.
 */
export const USAGE_PLAN_RECONCILER_TENANT_TABLE_ACTIONS = [
  'dynamodb:Query',
  'dynamodb:UpdateItem',
  'dynamodb:GetItem',
  'dynamodb:DeleteItem',
] as const satisfies readonly TableAction[];
/** The module under lambdas/ of the console users' JWT authorizer, which is behind no route. */
export const JWT_AUTHORIZER_ENTRY = 'jwt-authorizer';
/** The module under lambdas/ of the audit sweeper, run on a schedule. */
export const AUDIT_SWEEPER_ENTRY = 'audit-sweeper';

/**
 * What the sweeper does with the key table: Scan the sparse index of pending audit
 * records, GetItem each key as it is now, settle its record with UpdateItem (or
 * DeleteItem, for a deleted key); and PutItem of the record into the tenant table.
 */
export const AUDIT_SWEEPER_ACCESS = {
  pendingIndexActions: ['dynamodb:Scan'],
  tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  tenantTableActions: ['dynamodb:PutItem'],
} as const satisfies Record<string, readonly TableAction[]>;

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
  { method: 'GET', path: '/tenants/{tenantId}/audit', handler: 'listAudit', authorization: 'iam' },
  { method: 'POST', path: '/keys', handler: 'createKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/keys', handler: 'listKeys', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/keys/{keyId}', handler: 'getKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'PATCH', path: '/keys/{keyId}', handler: 'updateKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'DELETE', path: '/keys/{keyId}', handler: 'deleteKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'POST', path: '/keys/{keyId}/rotate', handler: 'rotateKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'PUT', path: '/tenants/{tenantId}', handler: 'setTenantPlan', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}', handler: 'getTenant', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}/usage', handler: 'getUsage', authorization: 'iam' },
  { method: 'GET', path: '/audit', handler: 'listAudit', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/whoami', handler: 'whoami', authorization: 'apiKey' },
  { method: 'GET', path: '/usage', handler: 'getUsage', authorization: 'apiKey' },
  { method: 'POST', path: '/verify', handler: 'verifyKey', authorization: 'iam' },
  { method: 'GET', path: '/openapi.json', handler: 'openApi', authorization: 'none' },
  { method: 'GET', path: '/console', handler: 'consolePage', authorization: 'none' },
  { method: 'GET', path: '/console/{file}', handler: 'consolePage', authorization: 'none' },
  { method: 'POST', path: '/console/api/keys', handler: 'createKey', authorization: 'jwt' },
  { method: 'GET', path: '/console/api/keys', handler: 'listKeys', authorization: 'jwt' },
  { method: 'GET', path: '/console/api/keys/{keyId}', handler: 'getKey', authorization: 'jwt' },
  { method: 'PATCH', path: '/console/api/keys/{keyId}', handler: 'updateKey', authorization: 'jwt' },
  { method: 'DELETE', path: '/console/api/keys/{keyId}', handler: 'deleteKey', authorization: 'jwt' },
  { method: 'POST', path: '/console/api/keys/{keyId}/rotate', handler: 'rotateKey', authorization: 'jwt' },
  { method: 'GET', path: '/console/api/audit', handler: 'listAudit', authorization: 'jwt' },
];

/** The route an API Gateway event came by: its method and resource (the path with `{param}` placeholders). */
export function routeOf(method: string, resource: string): Route | undefined {
  return ROUTES.find((route) => route.method === method && route.path === resource);
}

/** The service's own methods behind the x-api-key authorizer, declared as any protected API declares its methods. */
export const SERVICE_PROTECTED_METHODS: readonly ProtectedMethod[] = ROUTES.filter(
  (route) => route.authorization === 'apiKey',
).map(({ method, path, scope }) => (scope === undefined ? { method, path } : { method, path, scope }));

/** A route's path as execute-api ARNs name it: path parameters become `*`. */
export function routePathPattern(route: Pick<Route, 'path'>): string {
  return route.path.replace(/\{[^}]+\}/g, '*');
}
