import { ENV, requiredEnv } from '../../src/config';
import { DynamoKeyStore } from '../../src/store/dynamo-key-store';
import { createDocumentClient } from '../../src/store/dynamodb-client';

/** The key table named in the function's environment, read when the function starts. */
export function keyStoreFromEnvironment(): DynamoKeyStore {
  return new DynamoKeyStore(createDocumentClient(), requiredEnv(ENV.tableName));
}

/** The prefix of the keys this function issues. */
export function keyPrefixFromEnvironment(): string {
  return requiredEnv(ENV.keyPrefix);
}
