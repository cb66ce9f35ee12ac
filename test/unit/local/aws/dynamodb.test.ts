import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createDynamoDbEndpoint, isDynamoDbRequest } from '../../../../local/aws/dynamodb';
import { type EmbeddedDynamoDb, openEmbeddedDynamoDb } from '../../../../local/boot/embedded-dynamodb';
import { createRequestListener } from '../../../../local/http/http-listener';

const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };
let database: EmbeddedDynamoDb;
let server: Server;
let endpoint: string;
const clients: DynamoDBClient[] = [];

const clientWith = (config: DynamoDBClientConfig = {}) => {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: SDK_CREDENTIALS, maxAttempts: 1, ...config });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  database = await openEmbeddedDynamoDb();
  const dynamoDb = createDynamoDbEndpoint({ region: 'us-east-1', sdkCredentials: async () => SDK_CREDENTIALS, database });
  server = createServer(createRequestListener(dynamoDb, { maxBodyBytes: 64 * 1024, stopping: () => false }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await clientWith().send(
    new CreateTableCommand({
      TableName: 'items',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await database.close();
});

describe('the embedded DynamoDB endpoint', () => {
  it('recognises DynamoDB JSON-protocol calls: POST / with X-Amz-Target DynamoDB_*', () => {
    const target = (value: string) => ({ 'x-amz-target': [value] });
    expect(isDynamoDbRequest({ method: 'POST', rawPath: '/', headers: target('DynamoDB_20120810.GetItem') })).toBe(true);
    expect(isDynamoDbRequest({ method: 'POST', rawPath: '/', headers: {} })).toBe(false);
    expect(isDynamoDbRequest({ method: 'POST', rawPath: '/keys', headers: target('DynamoDB_20120810.GetItem') })).toBe(false);
    expect(isDynamoDbRequest({ method: 'GET', rawPath: '/', headers: target('DynamoDB_20120810.GetItem') })).toBe(false);
    expect(isDynamoDbRequest({ method: 'POST', rawPath: '/', headers: target('AWSEvents.PutEvents') })).toBe(false);
  });

  it('serves the SDK signing with this process’s own credentials', async () => {
    const client = clientWith();
    await client.send(new PutItemCommand({ TableName: 'items', Item: { id: { S: 'a' }, value: { N: '1' } } }));
    const { Item } = await client.send(new GetItemCommand({ TableName: 'items', Key: { id: { S: 'a' } } }));
    expect(Item).toEqual({ id: { S: 'a' }, value: { N: '1' } });
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['items']);
  });

  it.each([
    [
      'other credentials',
      { credentials: { accessKeyId: 'AKIAOTHER00000000000', secretAccessKey: 'sdk-secret' } },
      'UnrecognizedClientException',
    ],
    ['a wrong secret', { credentials: { ...SDK_CREDENTIALS, secretAccessKey: 'guess' } }, 'InvalidSignatureException'],
    [
      'a session token with long-term credentials',
      { credentials: { ...SDK_CREDENTIALS, sessionToken: 'x' } },
      'UnrecognizedClientException',
    ],
    ['another region', { region: 'eu-west-1' }, 'InvalidSignatureException'],
  ])('refuses %s with DynamoDB’s 400 error, writing nothing', async (_, config, name) => {
    await expect(
      clientWith(config).send(new PutItemCommand({ TableName: 'items', Item: { id: { S: 'planted' } } })),
    ).rejects.toMatchObject({ name, $metadata: { httpStatusCode: 400 } });
    const { Item } = await clientWith().send(new GetItemCommand({ TableName: 'items', Key: { id: { S: 'planted' } } }));
    expect(Item).toBeUndefined();
  });

  it('refuses an unsigned call as MissingAuthenticationTokenException', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await response.json()).toEqual({
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });

  it('answers 413 for a signed request too large to hold, and the refusal for an unsigned one', async () => {
    const big = { id: { S: 'big' }, padding: { S: 'p'.repeat(65 * 1024) } };
    await expect(clientWith().send(new PutItemCommand({ TableName: 'items', Item: big }))).rejects.toMatchObject({
      name: 'RequestEntityTooLarge',
      $metadata: { httpStatusCode: 413 },
    });
    await expect(
      clientWith({ credentials: { ...SDK_CREDENTIALS, accessKeyId: 'AKIAOTHER00000000000' } }).send(
        new PutItemCommand({ TableName: 'items', Item: big }),
      ),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });
});
