/**
 * The failing database the fault tests rely on fails as DynamoDB does, as the
 * AWS SDK sees it: throttling is DynamoDB's own error, which the SDK retries;
 * a kill refuses connections, and a restart brings the data back.
 */
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { makeTempDir } from '../support/temp-dir';

let directory: Awaited<ReturnType<typeof makeTempDir>>;
let proxy: FaultProxy;
let client: DynamoDBClient;
const item = { pk: { S: 'kept' } };

beforeAll(async () => {
  directory = await makeTempDir('fault-proxy');
  proxy = await startFaultProxy({ path: join(directory.path, 'dynamodb') });
  client = new DynamoDBClient({
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
  await client.send(
    new CreateTableCommand({
      TableName: 'items',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await client.send(new PutItemCommand({ TableName: 'items', Item: item }));
}, 30_000);

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await directory?.remove();
});

afterEach(() => proxy.setFault({ kind: 'none' }));

const getItem = () => client.send(new GetItemCommand({ TableName: 'items', Key: item }));

it('throttles with ProvisionedThroughputExceededException, which the SDK retries as throttling', async () => {
  proxy.setFault({ kind: 'throttled', fraction: 1 });
  const error = await getItem().catch((caught: unknown) => caught);
  expect(error).toMatchObject({
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400, attempts: 3 },
  });

  proxy.setFault({ kind: 'throttled', fraction: 1, times: 1 });
  const answered = await getItem();
  expect(answered.Item).toEqual(item);
  expect(answered.$metadata.attempts).toBe(2);
});

it('killed, refuses connections; restarted on the same port, has the data it had', async () => {
  await proxy.kill();
  await expect(getItem()).rejects.toThrow(/ECONNREFUSED/);
  await proxy.restart();
  expect((await getItem()).Item).toEqual(item);
}, 30_000);
