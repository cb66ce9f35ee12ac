import { ENV, requiredEnv } from '../../src/config';
import { KeyTableReads } from '../../src/store/key-table-reads';
import { SmallDynamoDbClient, smallClientSettingsFromEnvironment } from '../../src/store/small-dynamodb-client';

/**
 * The key table's read path over the small DynamoDB client, for the functions
 * that verify keys: the table named in the function's environment, and the
 * endpoint, region and credentials the SDK would take from it, read when the function starts.
 */
export function keyReadsFromEnvironment(): KeyTableReads {
  return new KeyTableReads(new SmallDynamoDbClient(smallClientSettingsFromEnvironment()), requiredEnv(ENV.tableName));
}
