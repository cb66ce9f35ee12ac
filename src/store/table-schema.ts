import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { KeyRecord } from '../domain/api-key';

/**
 * The tables' shapes. The CDK constructs and local mode both build the tables
 * from these definitions, so they cannot drift apart.
 */
export const KEY_TABLE = {
  partitionKey: 'keyHash',
  ttlAttribute: 'ttl',
  byTenantIndex: {
    name: 'byTenant',
    partitionKey: 'tenantId',
    sortKey: 'keyId',
  },
  /**
   * A sparse index of the keys whose last change's audit record is not yet delivered:
   * only items with `auditPending` are in it, so the sweeper reads nothing else.
   */
  pendingAuditIndex: {
    name: 'pendingAudit',
    partitionKey: 'auditPending',
  },
} as const satisfies {
  partitionKey: keyof KeyRecord;
  ttlAttribute: keyof KeyRecord;
  byTenantIndex: { name: string; partitionKey: keyof KeyRecord; sortKey: keyof KeyRecord };
  pendingAuditIndex: { name: string; partitionKey: keyof KeyRecord };
};

/**
 * What the service keeps per tenant, one partition each: items told apart by the
 * sort key `sk`: the tenant's own (`tenant`: its plan and API Gateway API key),
 * the records of idempotent requests (`idempotency#…`) and the audit trail
 * (`audit#{at}#{id}`, so a tenant's records sort by time).
 * Items that should go away carry `ttl`.
 */
export const TENANT_TABLE = {
  partitionKey: 'tenantId',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /** Sparse, as the key table's: the tenants whose plan changes' records are not yet delivered. */
  pendingAuditIndex: {
    name: 'pendingAudit',
    partitionKey: 'auditPending',
  },
} as const;

/**
 * Which stream records the audit delivery takes, from either table: writes that
 * leave records waiting in a live item (not a rotation's replacement still
 * pending). Lambda's event filter pattern (an `exists` test must name the
 * attribute's type: it matches leaves only); local mode's change feed applies it too.
 */
export const WAITING_RECORDS_FILTER = {
  dynamodb: {
    NewImage: {
      auditPending: { S: [{ exists: true }] },
      pending: { BOOL: [{ exists: false }] },
    },
  },
};

/** The key table as a CreateTable request, for local mode and integration tests. */
export function createKeyTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, byTenantIndex, pendingAuditIndex } = KEY_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: byTenantIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: byTenantIndex.sortKey, AttributeType: 'S' },
      { AttributeName: pendingAuditIndex.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: byTenantIndex.name,
        KeySchema: [
          { AttributeName: byTenantIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: byTenantIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: pendingAuditIndex.name,
        KeySchema: [{ AttributeName: pendingAuditIndex.partitionKey, KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

/** The tenant table as a CreateTable request. */
export function createTenantTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, pendingAuditIndex } = TENANT_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: pendingAuditIndex.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: pendingAuditIndex.name,
        KeySchema: [{ AttributeName: pendingAuditIndex.partitionKey, KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}
