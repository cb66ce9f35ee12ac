import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { watchDynamoDbWrites } from '../../../../local/aws/dynamodb-writes';
import { ensureTable } from '../../../../src/store/ensure-table';
import { createKeyTableInput } from '../../../../src/store/table-schema';
import { type DynaliteServer, startDynaliteServer } from '../../../support/dynalite-server';

const TABLE = 'watched-keys';
const item = { keyHash: { S: 'a'.repeat(64) } };

let database: DynaliteServer;
let client: DynamoDBClient;

beforeAll(async () => {
  database = await startDynaliteServer();
  client = new DynamoDBClient({
    endpoint: database.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'watch', secretAccessKey: 'watch' },
  });
  await ensureTable(client, createKeyTableInput(TABLE));
});

afterAll(async () => {
  client.destroy();
  await database.close();
});

it("tells of each write this process's DynamoDB calls made, not of reads or refused writes, until it stops watching", async () => {
  let writes = 0;
  const stop = watchDynamoDbWrites(() => writes++);
  try {
    await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
    expect(writes).toBe(1);
    await client.send(new GetItemCommand({ TableName: TABLE, Key: item }));
    await expect(
      client.send(new PutItemCommand({ TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(keyHash)' })),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(writes).toBe(1);
  } finally {
    stop();
  }
  await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
  expect(writes).toBe(1);
});
