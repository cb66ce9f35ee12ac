/**
 * The single source of truth for the HTTP API. The CDK construct, the local
 * gateway, the authorizer's policy, the OpenAPI document, the typed client (and so
 * the CLI) and the console's calls are all built from these tables. It imports
 * nothing: the console's page carries it.
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
  | 'revokeKey'
  | 'revokeKeyBySecret'
  | 'githubSecretScanning'
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
  /**
   * DynamoDB actions it needs on the tenant table (idempotent requests, plans, the
   * audit trail's log). A function that changes keys or plans writes each change's
   * audit record into the item it changes; the delivery function takes it from there.
   */
  tenantTableActions: readonly TableAction[];
  /** The invalidation its operations perform; the construct grants exactly these, with their settings. */
  invalidation: readonly InvalidationCapability[];
  /**
   * Whether it sets keys' expiries, and so warns of them: at once when one is due
   * (in the change's own write), otherwise by scheduling the warning (expiry-warnings.ts).
   */
  warnsOfExpiry: boolean;
  /** What it does with the usage plans; the construct grants exactly these, with the plans' settings. */
  usagePlans: readonly UsagePlanOperation[];
  /** Whether it issues new keys, and so needs the deployment's key prefix. */
  issuesKeys: boolean;
  /**
   * Whether it delivers a key's waiting audit records itself when the key has no
   * room for another (their delivery is behind), and so needs the delivery's
   * access: the trail's log and the request a key's first record completes (in
   * tenantTableActions), settling the records (in tableActions), and publishing.
   */
  deliversWaitingRecords: boolean;
  /** Whether it serves the console's page, and so needs its assets and its sign-in settings. */
  servesConsole: boolean;
}

/** A function that reads and writes nothing but what its definition adds. */
const NO_STORE_ACCESS: Omit<HandlerDefinition, 'entry'> = {
  verifiesKeys: false,
  tableActions: [],
  indexActions: [],
  tenantTableActions: [],
  invalidation: [],
  warnsOfExpiry: false,
  usagePlans: [],
  issuesKeys: false,
  deliversWaitingRecords: false,
  servesConsole: false,
};

/**
 * What revoking a key needs, whoever asks: the revocation's UpdateItem (GetItem
 * tells a refusal's cause) and the flush now. It never delivers the key's waiting
 * records: a revocation always has room for its record (src/domain/key-store.ts).
 */
const REVOKES_KEYS: Omit<HandlerDefinition, 'entry'> = {
  ...NO_STORE_ACCESS,
  tableActions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  invalidation: ['flushNow'],
};

export const HANDLERS: Record<HandlerName, HandlerDefinition> = {
  createKey: {
    entry: 'create-key',
    verifiesKeys: false,
    // GetItem recognises, after a retried PutItem, the item its first attempt wrote.
    tableActions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
    // A repeat of an idempotent request finds the key its first attempt issued.
    indexActions: ['dynamodb:Query'],
    // Idempotent requests: claimed with PutItem, read back, taken over and released with UpdateItem.
    // The tenant's item: read, and its usage plan arranged under a lease taken and given back with UpdateItem.
    // A plan move (the default changed): its note put with PutItem, cleared with DeleteItem.
    tenantTableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    invalidation: ['flushAt'],
    // A tenant's first key gets the tenant its API Gateway API key, in its plan's usage plan.
    warnsOfExpiry: true,
    usagePlans: ['arrangeKeys'],
    issuesKeys: true,
    deliversWaitingRecords: false,
    servesConsole: false,
  },
  listKeys: {
    entry: 'list-keys',
    verifiesKeys: false,
    tableActions: [],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    invalidation: [],
    warnsOfExpiry: false,
    usagePlans: [],
    issuesKeys: false,
    deliversWaitingRecords: false,
    servesConsole: false,
  },
  getKey: {
    entry: 'get-key',
    verifiesKeys: false,
    tableActions: [],
    indexActions: ['dynamodb:Query'],
    tenantTableActions: [],
    invalidation: [],
    warnsOfExpiry: false,
    usagePlans: [],
    issuesKeys: false,
    deliversWaitingRecords: false,
    servesConsole: false,
  },
  updateKey: {
    entry: 'update-key',
    verifiesKeys: false,
    // UpdateItem writes the change with its audit record, and settles records it delivers; GetItem tells a refusal's cause.
    tableActions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
    indexActions: ['dynamodb:Query'],
    // Only when the key has no room for the change's record: the waiting ones into the log (PutItem), and
    // the idempotent request that issued the key completed (UpdateItem).
    tenantTableActions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    invalidation: ['flushNow', 'flushAt'],
    warnsOfExpiry: true,
    usagePlans: [],
    issuesKeys: false,
    deliversWaitingRecords: true,
    servesConsole: false,
  },
  deleteKey: {
    entry: 'delete-key',
    verifiesKeys: false,
    // UpdateItem marks the key deleted with its audit record (its delivery removes the item), and settles records
    // it delivers; GetItem tells a refusal's cause.
    tableActions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
    indexActions: ['dynamodb:Query'],
    // As updateKey's: only when the key has no room for the change's record.
    tenantTableActions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    invalidation: ['flushNow'],
    warnsOfExpiry: false,
    usagePlans: [],
    issuesKeys: false,
    deliversWaitingRecords: true,
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
    invalidation: ['flushNow', 'flushAt'],
    warnsOfExpiry: true,
    usagePlans: ['arrangeKeys'],
    issuesKeys: true,
    deliversWaitingRecords: false,
    servesConsole: false,
  },
  // By id (its own Query on byTenant finds it), or by its secret (the GetItem by hash finds it).
  revokeKey: { ...REVOKES_KEYS, entry: 'revoke-key', indexActions: ['dynamodb:Query'] },
  revokeKeyBySecret: { ...REVOKES_KEYS, entry: 'revoke-key-by-secret' },
  githubSecretScanning: {
    ...REVOKES_KEYS,
    entry: 'github-secret-scanning',
    // GitHub's public keys, kept for every environment in the tenant table: read (GetItem), a fetch claimed and
    // its keys saved (UpdateItem).
    tenantTableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  },
  listAudit: {
    ...NO_STORE_ACCESS,
    entry: 'list-audit',
    // The log, and the records still waiting in the tenant's item and (on GSI byTenant) in its keys.
    indexActions: ['dynamodb:Query'],
    tenantTableActions: ['dynamodb:Query', 'dynamodb:GetItem'],
  },
  whoami: { ...NO_STORE_ACCESS, entry: 'whoami' },
  verifyKey: { ...NO_STORE_ACCESS, entry: 'verify-key', verifiesKeys: true },
  openApi: { ...NO_STORE_ACCESS, entry: 'openapi' },
  consolePage: { ...NO_STORE_ACCESS, entry: 'console-page', servesConsole: true },
  getTenant: { ...NO_STORE_ACCESS, entry: 'get-tenant', tenantTableActions: ['dynamodb:GetItem'], usagePlans: ['readPlans'] },
  setTenantPlan: {
    ...NO_STORE_ACCESS,
    entry: 'set-tenant-plan',
    // The tenant's item: read, its arrangement lease taken and given back, the plan change's record
    // with it, with UpdateItem; a move's note put with PutItem and cleared with DeleteItem.
    tenantTableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    usagePlans: ['arrangeKeys'],
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
/** The module under lambdas/ of the audit delivery, fed by the tables' streams. */
export const AUDIT_DELIVERY_ENTRY = 'deliver-audit';
/** The module under lambdas/ of the scheduled expiry warnings' consumer, fed by their queue. */
export const EXPIRY_WARNER_ENTRY = 'warn-of-expiry';
/**
 * What the expiry warner does with the key table: finds the key by id (Query on
 * byTenant), and writes its warning with UpdateItem (GetItem tells a refusal's cause).
 */
export const EXPIRY_WARNER_ACCESS = {
  tableActions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  indexActions: ['dynamodb:Query'],
} as const satisfies { tableActions: readonly TableAction[]; indexActions: readonly TableAction[] };

/** What a function that delivers audit records does with each table, its GSI byTenant and the sparse indexes `pendingAudit`. */
export interface AuditWorkerAccess {
  tableActions: readonly TableAction[];
  indexActions: readonly TableAction[];
  pendingIndexActions: readonly TableAction[];
  tenantTableActions: readonly TableAction[];
  tenantPendingIndexActions: readonly TableAction[];
}

/**
 * The delivery function: GetItem of each item as it is now and its records settled
 * with UpdateItem (a deleted key's item removed with DeleteItem); in the tenant
 * table, the record put into the log, the tenant's item read and settled, and the
 * idempotent request that issued a key completed, with UpdateItem.
 */
export const AUDIT_DELIVERY_ACCESS: AuditWorkerAccess = {
  tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  indexActions: [],
  pendingIndexActions: [],
  tenantTableActions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  tenantPendingIndexActions: [],
};

/**
 * The sweeper does what the delivery function does, and finds what waits by a Scan
 * of each table's sparse index; the key a dead rotation retired is found on byTenant.
 */
export const AUDIT_SWEEPER_ACCESS: AuditWorkerAccess = {
  ...AUDIT_DELIVERY_ACCESS,
  indexActions: ['dynamodb:Query'],
  pendingIndexActions: ['dynamodb:Scan'],
  tenantPendingIndexActions: ['dynamodb:Scan'],
};

export interface Route {
  method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  path: string;
  handler: HandlerName;
  authorization: RouteAuthorization;
  /** For `apiKey` routes: the scope the key must hold. Absent means any valid key. */
  scope?: string;
  /**
   * The method's own throttle, beyond the stage's: one limit for all callers, as
   * API Gateway's method throttling is (the construct may set other limits).
   */
  throttle?: { rateLimit: number; burstLimit: number };
}

/**
 * POST /revoke is open to anyone: its own throttle keeps a flood of guesses cheap.
 * A holder revokes a key now and then; ten a second, twenty at once, is plenty.
 */
const PUBLIC_REVOCATION_THROTTLE = { rateLimit: 10, burstLimit: 20 } as const;

export const MANAGE_KEYS_SCOPE = 'keys:manage';

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/tenants/{tenantId}/keys', handler: 'createKey', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}/keys', handler: 'listKeys', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}/keys/{keyId}', handler: 'getKey', authorization: 'iam' },
  { method: 'PATCH', path: '/tenants/{tenantId}/keys/{keyId}', handler: 'updateKey', authorization: 'iam' },
  { method: 'DELETE', path: '/tenants/{tenantId}/keys/{keyId}', handler: 'deleteKey', authorization: 'iam' },
  { method: 'POST', path: '/tenants/{tenantId}/keys/{keyId}/rotate', handler: 'rotateKey', authorization: 'iam' },
  { method: 'POST', path: '/tenants/{tenantId}/keys/{keyId}/revoke', handler: 'revokeKey', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}/audit', handler: 'listAudit', authorization: 'iam' },
  { method: 'POST', path: '/keys', handler: 'createKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/keys', handler: 'listKeys', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/keys/{keyId}', handler: 'getKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'PATCH', path: '/keys/{keyId}', handler: 'updateKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'DELETE', path: '/keys/{keyId}', handler: 'deleteKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'POST', path: '/keys/{keyId}/rotate', handler: 'rotateKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'POST', path: '/keys/{keyId}/revoke', handler: 'revokeKey', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'PUT', path: '/tenants/{tenantId}', handler: 'setTenantPlan', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}', handler: 'getTenant', authorization: 'iam' },
  { method: 'GET', path: '/tenants/{tenantId}/usage', handler: 'getUsage', authorization: 'iam' },
  { method: 'GET', path: '/audit', handler: 'listAudit', authorization: 'apiKey', scope: MANAGE_KEYS_SCOPE },
  { method: 'GET', path: '/whoami', handler: 'whoami', authorization: 'apiKey' },
  { method: 'GET', path: '/usage', handler: 'getUsage', authorization: 'apiKey' },
  { method: 'POST', path: '/verify', handler: 'verifyKey', authorization: 'iam' },
  {
    method: 'POST',
    path: '/revoke',
    handler: 'revokeKeyBySecret',
    authorization: 'none',
    throttle: PUBLIC_REVOCATION_THROTTLE,
  },
  // Open to API Gateway; the handler checks GitHub's signature of each payload.
  { method: 'POST', path: '/secret-scanning/github', handler: 'githubSecretScanning', authorization: 'none' },
  { method: 'GET', path: '/openapi.json', handler: 'openApi', authorization: 'none' },
  { method: 'GET', path: '/console', handler: 'consolePage', authorization: 'none' },
  { method: 'GET', path: '/console/{file}', handler: 'consolePage', authorization: 'none' },
  { method: 'POST', path: '/console/api/keys', handler: 'createKey', authorization: 'jwt' },
  { method: 'GET', path: '/console/api/keys', handler: 'listKeys', authorization: 'jwt' },
  { method: 'GET', path: '/console/api/keys/{keyId}', handler: 'getKey', authorization: 'jwt' },
  { method: 'PATCH', path: '/console/api/keys/{keyId}', handler: 'updateKey', authorization: 'jwt' },
  { method: 'DELETE', path: '/console/api/keys/{keyId}', handler: 'deleteKey', authorization: 'jwt' },
  { method: 'POST', path: '/console/api/keys/{keyId}/rotate', handler: 'rotateKey', authorization: 'jwt' },
  { method: 'POST', path: '/console/api/keys/{keyId}/revoke', handler: 'revokeKey', authorization: 'jwt' },
  { method: 'GET', path: '/console/api/audit', handler: 'listAudit', authorization: 'jwt' },
];

/** The request bodies, by the name of their schema (src/openapi/document.ts holds each schema). */
export type RequestSchemaName =
  | 'CreateKeyRequest'
  | 'UpdateKeyRequest'
  | 'RotateKeyRequest'
  | 'SetPlanRequest'
  | 'VerifyKeyRequest'
  | 'RevokeKeyRequest'
  | 'RevokeKeyBySecretRequest'
  | 'SecretScanningReport';

/** The response bodies, by the name of their schema. */
export type ResponseSchemaName =
  | 'ApiKey'
  | 'IssuedApiKey'
  | 'RotatedApiKey'
  | 'ReplayedApiKey'
  | 'KeyList'
  | 'Tenant'
  | 'Usage'
  | 'AuditList'
  | 'Whoami'
  | 'KeyCheck'
  | 'RevocationAccepted'
  | 'SecretScanningFeedback';

/** The query strings, by the name of their schema (src/query-schemas.ts). */
export type QuerySchemaName = 'ListKeysQuery' | 'ListAuditQuery' | 'UsageQuery' | 'PageQuery';

/**
 * The query string each handler's routes take, by the name of its schema; a
 * handler not named here takes none, and any parameter sent to it is a 400.
 * Kept apart from OPERATIONS so that the functions' check of a request's query
 * (src/query-schemas.ts) loads these few names, not every operation's
 * description.
 */
export const QUERIES: Partial<Record<HandlerName, QuerySchemaName>> = {
  listKeys: 'ListKeysQuery',
  listAudit: 'ListAuditQuery',
  getUsage: 'UsageQuery',
  consolePage: 'PageQuery',
};

/** The problem statuses the API answers. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;

export interface SuccessResponse {
  description: string;
  /**
   * The body's schema, or none for 204; `document` for the OpenAPI document
   * itself; `console` for the console's page and files, which are not JSON.
   */
  body?: ResponseSchemaName | 'document' | 'console';
  headers?: ('Location' | 'IdempotentReplayed')[];
}

/** What a handler's routes take and answer. */
export interface Operation {
  /** The operation's id; a route's own (self-service, console, a second path) is derived from it. */
  operationId: string;
  summary: string;
  tag: 'keys' | 'tenants' | 'audit' | 'verification' | 'leaked keys' | 'console' | 'meta';
  /** Its body; at most `maxBytes` of it (§3's 10 KiB, src/body-limits.ts, unless it says otherwise). */
  body?: { schema: RequestSchemaName; required: boolean; maxBytes?: number };
  /** Takes an Idempotency-Key header; without one, a request is never repeated. */
  idempotent?: true;
  success: Record<number, SuccessResponse>;
  /** What its handler may answer beyond success; a body's own (400, 413, 415) and the authorization's go without saying. */
  problems: ProblemStatus[];
  /** What a problem status means on this operation, where the API's general description of it would mislead. */
  problemNotes?: Partial<Record<ProblemStatus, string>>;
  /** Request headers its handler reads, beyond `Content-Type` and what the authorization takes. */
  requestHeaders?: { name: string; description: string; required: boolean }[];
}

/** GitHub batches what its secret scanning found: its payloads may be this large. */
export const SECRET_SCANNING_MAX_BODY_BYTES = 1024 * 1024;

/**
 * What each handler's routes take and answer, beyond what their authorization
 * adds: one entry per handler, so a new handler cannot be routed without being
 * described. The OpenAPI document is built from these and the routes; the client
 * reads which operations take an Idempotency-Key.
 */
export const OPERATIONS: Record<HandlerName, Operation> = {
  createKey: {
    operationId: 'createKey',
    summary: 'Create a key',
    tag: 'keys',
    body: { schema: 'CreateKeyRequest', required: true },
    idempotent: true,
    success: {
      201: {
        description: 'The new key, with its secret: the only response that ever shows it.',
        body: 'IssuedApiKey',
        headers: ['Location'],
      },
      200: {
        description: 'A repeat of an idempotent create: the key it issued, without its secret.',
        body: 'ReplayedApiKey',
        headers: ['Location', 'IdempotentReplayed'],
      },
    },
    problems: [409, 422, 503],
  },
  listKeys: {
    operationId: 'listKeys',
    summary: 'List keys, newest first',
    tag: 'keys',
    success: { 200: { description: 'One page of keys.', body: 'KeyList' } },
    problems: [400, 503],
  },
  getKey: {
    operationId: 'getKey',
    summary: 'Read a key',
    tag: 'keys',
    success: { 200: { description: 'The key.', body: 'ApiKey' } },
    problems: [404, 503],
  },
  updateKey: {
    operationId: 'updateKey',
    summary: "Change a key's name, scopes, state or expiry",
    tag: 'keys',
    body: { schema: 'UpdateKeyRequest', required: true },
    success: { 200: { description: 'The key as changed.', body: 'ApiKey' } },
    problems: [404, 409, 503],
  },
  deleteKey: {
    operationId: 'deleteKey',
    summary: 'Delete a key; it stops working at once',
    tag: 'keys',
    success: { 204: { description: 'Deleted.' } },
    problems: [404, 503],
  },
  rotateKey: {
    operationId: 'rotateKey',
    summary: 'Replace a key, retiring the old one after a grace period',
    tag: 'keys',
    body: { schema: 'RotateKeyRequest', required: false },
    idempotent: true,
    success: {
      201: { description: 'The replacement, with its secret.', body: 'RotatedApiKey', headers: ['Location'] },
      200: {
        description: 'A repeat of an idempotent rotation: the replacement it issued, without its secret.',
        body: 'ReplayedApiKey',
        headers: ['Location', 'IdempotentReplayed'],
      },
    },
    problems: [404, 409, 422, 503],
  },
  revokeKey: {
    operationId: 'revokeKey',
    summary: 'Revoke a key: it stops working at once, for good',
    tag: 'leaked keys',
    body: { schema: 'RevokeKeyRequest', required: false },
    success: {
      200: {
        description: 'The key, revoked; again for a key revoked already, which is left as it was.',
        body: 'ApiKey',
      },
    },
    problems: [404, 409, 503],
  },
  revokeKeyBySecret: {
    operationId: 'revokeKeyBySecret',
    summary: 'Revoke a key by its secret: whoever holds a key may end it',
    tag: 'leaked keys',
    body: { schema: 'RevokeKeyBySecretRequest', required: true },
    success: {
      202: {
        description:
          'Always the same answer, whether the key was live, revoked already or unknown: the route tells nobody which keys exist.',
        body: 'RevocationAccepted',
      },
    },
    problems: [503],
  },
  githubSecretScanning: {
    operationId: 'githubSecretScanning',
    summary: "GitHub secret scanning's partner endpoint: revokes the keys GitHub found in public",
    tag: 'leaked keys',
    body: { schema: 'SecretScanningReport', required: true, maxBytes: SECRET_SCANNING_MAX_BODY_BYTES },
    success: {
      200: {
        description: "GitHub's feedback: each token sent, by its SHA-256, labelled a true or false positive.",
        body: 'SecretScanningFeedback',
      },
    },
    problems: [401, 503],
    requestHeaders: [
      {
        name: 'Github-Public-Key-Identifier',
        description: "Which of GitHub's published keys signed the payload.",
        required: true,
      },
      {
        name: 'Github-Public-Key-Signature',
        description: "That key's ECDSA signature (NIST P-256, SHA-256, DER, base64) of the raw body.",
        required: true,
      },
    ],
    problemNotes: {
      401: "The payload's signature is missing, names no key GitHub publishes, or does not match it: nothing was read or changed.",
      503: "GitHub's public keys could not be fetched (it rate-limits that), the key store could not answer, or time ran out before every token was checked (those revoked stay revoked); retry after `Retry-After` seconds.",
    },
  },
  listAudit: {
    operationId: 'listAudit',
    summary: "Read the tenant's audit trail, newest first",
    tag: 'audit',
    success: { 200: { description: 'One page of audit records.', body: 'AuditList' } },
    problems: [400, 503],
  },
  whoami: {
    operationId: 'whoami',
    summary: 'The calling key',
    tag: 'keys',
    success: { 200: { description: "The calling key's tenant, id, name and scopes.", body: 'Whoami' } },
    problems: [],
  },
  verifyKey: {
    operationId: 'verifyKey',
    summary: 'Verify a key, for backends not behind API Gateway',
    tag: 'verification',
    body: { schema: 'VerifyKeyRequest', required: true },
    success: {
      200: {
        description:
          "The verdict, with the key's tenant, id, name, scopes and metadata when it is valid. The key is never echoed.",
        body: 'KeyCheck',
      },
    },
    problems: [503],
  },
  getTenant: {
    operationId: 'getTenant',
    summary: "Read a tenant's plan",
    tag: 'tenants',
    success: { 200: { description: 'The tenant; one never configured has the default plan.', body: 'Tenant' } },
    problems: [400, 503],
  },
  setTenantPlan: {
    operationId: 'setTenantPlan',
    summary: "Set a tenant's plan",
    tag: 'tenants',
    body: { schema: 'SetPlanRequest', required: true },
    success: { 200: { description: 'The tenant on its new plan, which API Gateway enforces already.', body: 'Tenant' } },
    problems: [409, 503],
  },
  getUsage: {
    operationId: 'getUsage',
    summary: "A tenant's requests per day",
    tag: 'tenants',
    success: { 200: { description: 'One entry per day of the range, from and to included.', body: 'Usage' } },
    problems: [400, 503],
  },
  consolePage: {
    operationId: 'consolePage',
    summary: 'The console: its page, or one of its files',
    tag: 'console',
    success: { 200: { description: 'The page (HTML) or the file.', body: 'console' } },
    problems: [404],
  },
  openApi: {
    operationId: 'openApiDocument',
    summary: 'This document',
    tag: 'meta',
    success: { 200: { description: 'The OpenAPI 3.1 document of this API.', body: 'document' } },
    problems: [],
  },
};

/** The route an API Gateway event came by: its method and resource (the path with `{param}` placeholders). */
export function routeOf(method: string, resource: string): Route | undefined {
  return ROUTES.find((route) => route.method === method && route.path === resource);
}

/** The one route of `handler` behind `authorization`: how the client and the console name what they call. */
export function routeFor(handler: HandlerName, authorization: RouteAuthorization): Route {
  const found = ROUTES.filter((route) => route.handler === handler && route.authorization === authorization);
  if (found.length !== 1) throw new Error(`${found.length} routes of ${handler} behind ${authorization}, not one`);
  return found[0];
}

/** Where the console's API is, under the stage: every `jwt` route's path starts with it. It is the console's `api-base`. */
export const CONSOLE_API_PATH = '/console/api';

/**
 * A route's path with each `{param}` replaced by its value, percent-encoded: the
 * path a request to it takes. Every placeholder needs a value, and every value a placeholder.
 */
export function routePath(route: Pick<Route, 'path'>, parameters: Readonly<Record<string, string>> = {}): string {
  const used = new Set<string>();
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = parameters[name];
    if (value === undefined) throw new Error(`${route.path} needs a value for {${name}}`);
    used.add(name);
    return encodeURIComponent(value);
  });
  const unused = Object.keys(parameters).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`${route.path} has no {${unused.join('}, {')}}`);
  return path;
}

/** A route's path as execute-api ARNs name it: path parameters become `*`. */
export function routePathPattern(route: Pick<Route, 'path'>): string {
  return route.path.replace(/\{[^}]+\}/g, '*');
}
