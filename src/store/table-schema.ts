import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { KeyRecord } from '../domain/api-key';

/**
 * The key table's shape. The CDK construct and local mode both build the table
 * from this one definition, so they cannot drift apart.
 */
export const KEY_TABLE = {
  partitionKey: 'keyHash',
  ttlAttribute: 'ttl',
  byTenantIndex: {
    name: 'byTenant',
    partitionKey: 'tenantId',
    sortKey: 'keyId',
  },
} as const satisfies {
  partitionKey: keyof KeyRecord;
  ttlAttribute: keyof KeyRecord;
  byTenantIndex: { name: string; partitionKey: keyof KeyRecord; sortKey: keyof KeyRecord };
};

/** The same table as a CreateTable request, for local mode and integration tests. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, byTenantIndex } = KEY_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: byTenantIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: byTenantIndex.sortKey, AttributeType: 'S' },
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
    ],
  };
}
