/**
 * P2's baseline, bundled as the authorizer is: one GetItem by the key's hash
 * through the same small client, with nothing of the authorizer around it.
 */
import { ENV, requiredEnv } from '../src/config';
import { hashKey } from '../src/domain/key-format';
import { SmallDynamoDbClient, smallClientSettingsFromEnvironment } from '../src/store/small-dynamodb-client';

const client = new SmallDynamoDbClient(smallClientSettingsFromEnvironment());
const tableName = requiredEnv(ENV.tableName);
const hashes = new Map<string, string>();

export async function handler(event: { headers: Record<string, string> }): Promise<unknown> {
  const key = event.headers['x-api-key'];
  // Hashed once: the baseline is the read alone.
  const keyHash = hashes.get(key) ?? hashes.set(key, hashKey(key)).get(key);
  return client.getItem({ TableName: tableName, Key: { keyHash }, ConsistentRead: true });
}
