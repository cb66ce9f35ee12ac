import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, requiredEnv } from '../../src/config';
import { DynamoKeyStore } from '../../src/store/dynamo-key-store';
import { DynamoTenantStore } from '../../src/store/dynamo-tenant-store';
import { createDocumentClient } from '../../src/store/dynamodb-client';

/** One client for every table a function uses: one set of connections to keep warm, one credential chain. */
let documents: DynamoDBDocumentClient | undefined;
const documentClient = () => {
  documents ??= createDocumentClient();
  return documents;
};

/** The key table named in the function's environment, read when the function starts. */
export function keyStoreFromEnvironment(): DynamoKeyStore {
  return new DynamoKeyStore(documentClient(), requiredEnv(ENV.tableName));
}

/** The tenant table named in the function's environment, read when the function starts. */
export function tenantStoreFromEnvironment(): DynamoTenantStore {
  return new DynamoTenantStore(documentClient(), requiredEnv(ENV.tenantTableName));
}

/** The prefix of the keys this function issues. */
export function keyPrefixFromEnvironment(): string {
  return requiredEnv(ENV.keyPrefix);
}
