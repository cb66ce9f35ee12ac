import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type EmbeddedDynamoDb, openEmbeddedDynamoDb } from '../../../../local/boot/embedded-dynamodb';
import { StartupError } from '../../../../local/boot/startup-error';
import type { GatewayRequest } from '../../../../local/http/http-request';
import { createKeyTableInput } from '../../../../src/store/table-schema';
import { makeTempDir } from '../../../support/temp-dir';

/** The abstract-level that dynalite's LevelDB is built on: every iterator attaches itself to its database there. */
function abstractLevelPrototype(): { attachResource(resource: object): void; detachResource(resource: object): void } {
  const from = (name: string, directory: string) => dirname(require.resolve(`${name}/package.json`, { paths: [directory] }));
  const level = from('level', from('dynalite', __dirname));
  const abstractLevel = from('abstract-level', from('classic-level', level));
  return require(abstractLevel).AbstractLevel.prototype;
}

/** classic-level, the LevelDB dynalite writes to: each of its `_put`, `_del` and `_batch` calls is one LevelDB write. */
function classicLevelPrototype(): Record<'_put' | '_del' | '_batch', (...args: any[]) => Promise<void>> {
  const from = (name: string, directory: string) => dirname(require.resolve(`${name}/package.json`, { paths: [directory] }));
  return require(from('classic-level', from('level', from('dynalite', __dirname)))).ClassicLevel.prototype;
}

/** A DynamoDB JSON-protocol call as serve() takes it, once the endpoint has checked its signature. */
function dynamoDbCall(operation: string, input: unknown): GatewayRequest {
  const headers: Record<string, string> = {
    host: '127.0.0.1',
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `DynamoDB_20120810.${operation}`,
    'x-amz-date': '20300101T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=LOCAL/20300101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
  };
  return {
    method: 'POST',
    rawPath: '/',
    rawQuery: '',
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    headerPairs: Object.entries(headers),
    body: Buffer.from(JSON.stringify(input)),
    bodyTooLarge: false,
    sourceIp: '127.0.0.1',
    receivedAt: new Date(),
  };
}

let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let database: EmbeddedDynamoDb;

beforeEach(async () => {
  dataDir = await makeTempDir('embedded-dynamodb');
  database = await openEmbeddedDynamoDb({ path: dataDir.path });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await database.close();
  await dataDir.remove();
});

async function send(operation: string, input: unknown): Promise<any> {
  const response = await database.serve(dynamoDbCall(operation, input));
  const body = JSON.parse(String(response.body));
  if (response.statusCode !== 200) throw new Error(`${operation}: ${response.statusCode} ${JSON.stringify(body)}`);
  return body;
}

/** Creates the key table and waits until it is active, as ensureTable does. */
async function createKeyTable(): Promise<void> {
  await send('CreateTable', createKeyTableInput('keys'));
  while ((await send('DescribeTable', { TableName: 'keys' })).Table.TableStatus !== 'ACTIVE') await delay(5);
}

describe('the embedded DynamoDB', () => {
  it('serves the JSON protocol in process, and keeps what it wrote across a reopen', async () => {
    await createKeyTable();
    await send('PutItem', { TableName: 'keys', Item: { keyHash: { S: 'h' }, tenantId: { S: 't' }, keyId: { S: 'k' } } });
    await database.close();
    database = await openEmbeddedDynamoDb({ path: dataDir.path });
    expect((await send('GetItem', { TableName: 'keys', Key: { keyHash: { S: 'h' } } })).Item).toEqual({
      keyHash: { S: 'h' },
      tenantId: { S: 't' },
      keyId: { S: 'k' },
    });
  });

  it('refuses a store another process (or this one) has open, in one line', async () => {
    await expect(openEmbeddedDynamoDb({ path: dataDir.path })).rejects.toEqual(
      new StartupError(`The store in ${dataDir.path} is in use by another process; stop it, or use another DATA_DIR.`),
    );
  });

  it('writes an item and its index entries as one LevelDB write, which a kill cannot tear', async () => {
    await createKeyTable();
    const level = classicLevelPrototype();
    const writes = (['_put', '_del', '_batch'] as const).map((method) => jest.spyOn(level, method));
    const written = () => {
      const calls = writes.flatMap((spy, index) =>
        spy.mock.calls.map((args) =>
          index === 2
            ? (args[0] as { type: string; key: string }[]).map(({ type, key }) => `${type} ${key}`)
            : [`${['put', 'del'][index]} ${args[0]}`],
        ),
      );
      for (const spy of writes) spy.mockClear();
      return calls;
    };
    const key = { keyHash: { S: 'h' } };
    // In both indexes: byTenant (tenantId, keyId) and the sparse pendingAudit (auditPending).
    await send('PutItem', {
      TableName: 'keys',
      Item: { ...key, tenantId: { S: 'acme' }, keyId: { S: 'k1' }, auditPending: { S: '2030-01-01T00:00:00.000Z' } },
    });
    expect(written()).toEqual([
      [
        expect.stringMatching(/^put index-global~keys~byTenant~/),
        expect.stringMatching(/^put index-global~keys~pendingAudit~/),
        expect.stringMatching(/^put item-keys~/),
      ],
    ]);
    // Out of pendingAudit, and renamed in byTenant.
    await send('UpdateItem', {
      TableName: 'keys',
      Key: key,
      UpdateExpression: 'REMOVE auditPending SET #n = :n',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':n': { S: 'renamed' } },
    });
    expect(written()).toEqual([
      [
        expect.stringMatching(/^del index-global~keys~pendingAudit~/),
        expect.stringMatching(/^put index-global~keys~byTenant~/),
        expect.stringMatching(/^put item-keys~/),
      ],
    ]);
    await send('DeleteItem', { TableName: 'keys', Key: key });
    expect(written()).toEqual([
      [expect.stringMatching(/^del index-global~keys~byTenant~/), expect.stringMatching(/^del item-keys~/)],
    ]);
    // The indexes read as the table does.
    const listed = await send('Query', {
      TableName: 'keys',
      IndexName: 'byTenant',
      KeyConditionExpression: 'tenantId = :t',
      ExpressionAttributeValues: { ':t': { S: 'acme' } },
    });
    expect(listed.Items).toEqual([]);
  });

  it('closes the LevelDB iterator of every Query and Scan, which dynalite alone leaves open', async () => {
    await createKeyTable();
    for (let i = 0; i < 25; i++) {
      const keyId = `key_${String(i).padStart(2, '0')}`;
      await send('PutItem', {
        TableName: 'keys',
        Item: { keyHash: { S: `h${i}` }, tenantId: { S: 'acme' }, keyId: { S: keyId } },
      });
    }
    const prototype = abstractLevelPrototype();
    const attached = jest.spyOn(prototype, 'attachResource');
    const detached = jest.spyOn(prototype, 'detachResource');

    const byTenant = { TableName: 'keys', IndexName: 'byTenant', KeyConditionExpression: 'tenantId = :t' };
    for (let i = 0; i < 20; i++) {
      // A page of a list, as the handlers ask for it: newest first, limited, then the next page.
      const page = await send('Query', {
        ...byTenant,
        ExpressionAttributeValues: { ':t': { S: 'acme' } },
        ScanIndexForward: false,
        Limit: 10,
      });
      expect(page.Items).toHaveLength(10);
      await send('Query', {
        ...byTenant,
        ExpressionAttributeValues: { ':t': { S: 'acme' } },
        ExclusiveStartKey: page.LastEvaluatedKey,
      });
      // One key by id, and a tenant without keys.
      await send('Query', {
        ...byTenant,
        KeyConditionExpression: 'tenantId = :t AND keyId = :k',
        ExpressionAttributeValues: { ':t': { S: 'acme' }, ':k': { S: 'key_07' } },
      });
      await send('Query', { ...byTenant, ExpressionAttributeValues: { ':t': { S: 'nobody' } } });
      await send('Scan', { TableName: 'keys', Limit: 5 });
    }
    await send('ListTables', {});

    const iterators = () => attached.mock.calls.map(([resource]) => resource);
    const stillOpen = () => iterators().filter((resource) => !detached.mock.calls.some(([closed]) => closed === resource));
    // Closing is asynchronous: give it a moment after the last answer.
    for (let wait = 0; wait < 100 && stillOpen().length > 0; wait++) await delay(10);
    expect(iterators().length).toBeGreaterThanOrEqual(101);
    expect({ opened: iterators().length, stillOpen: stillOpen().length }).toEqual({ opened: iterators().length, stillOpen: 0 });
  });
});
