/**
 * DYNAMODB_ENDPOINT: the server uses a DynamoDB it did not start, creates the
 * table there, and caches authorizer answers the way API Gateway does.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { DeleteItemCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { call, signedCall } from '../support/api-client';
import { type DynaliteServer, startDynaliteServer } from '../support/dynalite-server';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EENDPOINT00000', secretAccessKey: 'endpoint-secret-00000000000000000000000' };
const TABLE = 'e2e-endpoint-keys';
let database: DynaliteServer;
let client: DynamoDBClient;
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  database = await startDynaliteServer();
  client = new DynamoDBClient({
    endpoint: database.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  dataDir = await makeTempDir('e2e-endpoint');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    DYNAMODB_ENDPOINT: database.endpoint,
    TABLE_NAME: TABLE,
    KEY_PREFIX: 'zk_test',
    AUTHORIZER_CACHE_TTL_SECONDS: '300',
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    client?.destroy();
    await database?.close();
    await dataDir?.remove();
  }
});

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const keyHash = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

describe('with DYNAMODB_ENDPOINT', () => {
  it('creates the table there, with its index, and keeps no embedded store', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'keyHash', KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['byTenant', 'pendingAudit']);
    expect(await readdir(dataDir.path)).toEqual([]);
    expect(server.output()).toContain(`DYNAMODB_ENDPOINT ${database.endpoint}`);
  });

  it('stores keys there with KEY_PREFIX, as a hash only', async () => {
    const { key, id } = (await admin('POST', '/tenants/hooli/keys', { name: 'Prefixed' })).json;
    expect(key).toMatch(/^zk_test_[0-9A-Za-z]{38}$/);
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { keyHash: { S: keyHash(key) } } }));
    expect(Item?.keyId).toEqual({ S: id });
    expect(JSON.stringify(Item)).not.toContain(key);
  });

  it('serves a cached authorizer answer until the handlers flush the cache', async () => {
    const { key } = (await admin('POST', '/tenants/hooli/keys', { name: 'Cached' })).json;
    const other = (await admin('POST', '/tenants/hooli/keys', { name: 'Other' })).json;
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status).toBe(200);

    // Behind the API's back: no handler runs, so nothing flushes, and API Gateway would still allow the key.
    await client.send(new DeleteItemCommand({ TableName: TABLE, Key: { keyHash: { S: keyHash(key) } } }));
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status).toBe(200);

    // Any revoking handler flushes the whole stage cache through the API Gateway SDK call.
    expect((await admin('PATCH', `/tenants/hooli/keys/${other.id}`, { enabled: false })).status).toBe(200);
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status).toBe(401);
  });
});
