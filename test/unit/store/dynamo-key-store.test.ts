import 'aws-sdk-client-mock-jest';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { KeyRecord } from '../../../src/domain/api-key';
import { StoreConflictError, StoreUnavailableError } from '../../../src/domain/errors';
import { DYNAMODB_CALL_LIMITS, DynamoKeyStore, createDocumentClient } from '../../../src/store/dynamo-key-store';
import { KEY_TABLE, createTableInput } from '../../../src/store/table-schema';
import { awsError } from '../../fixtures/aws';
import { keyRecord, testKeyId } from '../../fixtures/keys';

const TABLE = 'api-keys-test';
const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoKeyStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE);

beforeEach(() => ddb.reset());

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('create', () => {
  it('is a PutCommand of the record that never overwrites an existing item', async () => {
    const record = keyRecord({ expiresAt: '2030-01-01T00:00:00.000Z', ttl: 1893456000 });
    ddb.on(PutCommand).resolves({});
    await store.create(record);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: record,
      ConditionExpression: expect.stringMatching(/^attribute_not_exists\((#pk|keyHash)\)$/),
    });
    const input = ddb.commandCalls(PutCommand)[0].args[0].input;
    const conditionName = input.ConditionExpression!.match(/\((.+)\)/)![1];
    expect(input.ExpressionAttributeNames?.[conditionName] ?? conditionName).toBe('keyHash');
  });

  it('turns ConditionalCheckFailedException into StoreConflictError', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    await expect(store.create(keyRecord())).rejects.toBeInstanceOf(StoreConflictError);
  });
});

describe('findByHash', () => {
  it('is one consistent GetCommand on the partition key', async () => {
    const record = keyRecord();
    ddb.on(GetCommand).resolves({ Item: record });
    await expect(store.findByHash(record.keyHash)).resolves.toEqual(record);
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { keyHash: record.keyHash }, ConsistentRead: true });
    expect(ddb.calls()).toHaveLength(1);
  });

  it('returns undefined for an unknown hash', async () => {
    ddb.on(GetCommand).resolves({});
    await expect(store.findByHash('0'.repeat(64))).resolves.toBeUndefined();
  });
});

describe('findById', () => {
  it('queries GSI byTenant with both tenant and key id', async () => {
    const record = keyRecord();
    ddb.on(QueryCommand).resolves({ Items: [record] });
    await expect(store.findById('acme', record.keyId)).resolves.toEqual(record);
    const input = ddb.commandCalls(QueryCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: TABLE, IndexName: 'byTenant' });
    const names = input.ExpressionAttributeNames!;
    const values = input.ExpressionAttributeValues!;
    // Resolve the key condition to attribute = value pairs, whatever placeholders are used.
    const pairs = Object.fromEntries(
      input.KeyConditionExpression!.split(/\s+AND\s+/i).map((part) => {
        const [name, value] = part.split('=').map((s) => s.trim());
        return [names[name] ?? name, values[value]];
      }),
    );
    expect(pairs).toEqual({ tenantId: 'acme', keyId: record.keyId });
  });

  it('returns undefined when the tenant has no such key', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(store.findById('globex', testKeyId())).resolves.toBeUndefined();
    ddb.on(QueryCommand).resolves({});
    await expect(store.findById('globex', testKeyId())).resolves.toBeUndefined();
  });
});

describe('list', () => {
  const records = Array.from({ length: 5 }, () => keyRecord()).reverse();

  it('queries byTenant newest first, reading one item past the page', async () => {
    ddb.on(QueryCommand).resolves({ Items: records.slice(0, 3) });
    const page = await store.list('acme', 2);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'byTenant',
      ScanIndexForward: false,
      Limit: 3,
      KeyConditionExpression: '#tenant = :tenant',
      ExpressionAttributeValues: { ':tenant': 'acme' },
    });
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input.ExclusiveStartKey).toBeUndefined();
    expect(page.items).toEqual(records.slice(0, 2));
    expect(page.next).toEqual({ keyId: records[1].keyId });
  });

  it('has no next position when there is no further item', async () => {
    ddb.on(QueryCommand).resolves({ Items: records.slice(0, 2) });
    expect(await store.list('acme', 2)).toEqual({ items: records.slice(0, 2) });
  });

  it('resumes after the cursor position with a key condition on keyId, within the tenant', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await store.list('acme', 20, { keyId: records[1].keyId });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#tenant = :tenant AND #id < :after',
      ExpressionAttributeNames: { '#tenant': 'tenantId', '#id': 'keyId' },
      ExpressionAttributeValues: { ':tenant': 'acme', ':after': records[1].keyId },
      Limit: 21,
    });
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input.ExclusiveStartKey).toBeUndefined();
  });

  it('keeps querying while DynamoDB stops early with a LastEvaluatedKey', async () => {
    const lek = (r: KeyRecord) => ({ keyHash: r.keyHash, tenantId: r.tenantId, keyId: r.keyId });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: records.slice(0, 1), LastEvaluatedKey: lek(records[0]) })
      .resolvesOnce({ Items: records.slice(1, 4), LastEvaluatedKey: lek(records[3]) });
    const page = await store.list('acme', 3);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(2, QueryCommand, { Limit: 3, ExclusiveStartKey: lek(records[0]) });
    expect(page.items).toEqual(records.slice(0, 3));
    expect(page.next).toEqual({ keyId: records[2].keyId });
  });
});

describe('update', () => {
  const record = keyRecord({ tenantId: 'acme' });

  it('looks the key up in the tenant, then makes a conditional UpdateCommand by hash', async () => {
    ddb.on(QueryCommand).resolves({ Items: [record] });
    ddb.on(UpdateCommand).resolves({ Attributes: { ...record, name: 'new', enabled: false } });
    const updated = await store.update('acme', record.keyId, { name: 'new', enabled: false, scopes: ['a'] });
    expect(updated).toMatchObject({ name: 'new', enabled: false });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byTenant' });
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: TABLE, Key: { keyHash: record.keyHash }, ReturnValues: 'ALL_NEW' });
    expect(input.ConditionExpression).toBeDefined();
    expect(Object.values(input.ExpressionAttributeValues!)).toEqual(expect.arrayContaining(['acme', record.keyId, 'new', false, ['a']]));
    expect(input.UpdateExpression).toMatch(/^SET /);
  });

  it('sets expiresAt with ttl, and null removes both', async () => {
    ddb.on(QueryCommand).resolves({ Items: [record] });
    ddb.on(UpdateCommand).resolves({ Attributes: record });
    await store.update('acme', record.keyId, { expiresAt: '2030-01-01T00:00:00.000Z' });
    const set = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(Object.values(set.ExpressionAttributeNames!)).toEqual(expect.arrayContaining(['expiresAt', 'ttl']));
    expect(Object.values(set.ExpressionAttributeValues!)).toEqual(expect.arrayContaining(['2030-01-01T00:00:00.000Z', 1893456000]));

    await store.update('acme', record.keyId, { expiresAt: null });
    const remove = ddb.commandCalls(UpdateCommand)[1].args[0].input;
    expect(remove.UpdateExpression).toMatch(/^REMOVE /);
    expect(Object.values(remove.ExpressionAttributeNames!)).toEqual(expect.arrayContaining(['expiresAt', 'ttl']));
  });

  it('returns the item unchanged, without writing, when there is nothing to change', async () => {
    ddb.on(QueryCommand).resolves({ Items: [record] });
    await expect(store.update('acme', record.keyId, {})).resolves.toEqual(record);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it("does not write when the tenant has no such key", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(store.update('globex', record.keyId, { enabled: false })).resolves.toBeUndefined();
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('returns undefined when the item vanished between lookup and write', async () => {
    ddb.on(QueryCommand).resolves({ Items: [record] });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.update('acme', record.keyId, { enabled: false })).resolves.toBeUndefined();
  });
});

describe('delete', () => {
  const record = keyRecord({ tenantId: 'acme' });

  it('looks the key up in the tenant, then makes a conditional DeleteCommand by hash', async () => {
    ddb.on(QueryCommand).resolves({ Items: [record] });
    ddb.on(DeleteCommand).resolves({ Attributes: record });
    await expect(store.delete('acme', record.keyId)).resolves.toEqual(record);
    const input = ddb.commandCalls(DeleteCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: TABLE, Key: { keyHash: record.keyHash } });
    expect(input.ConditionExpression).toBeDefined();
    expect(Object.values(input.ExpressionAttributeValues!)).toEqual(expect.arrayContaining(['acme', record.keyId]));
  });

  it('does not write for an unknown key, and returns undefined on a lost race', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(store.delete('acme', record.keyId)).resolves.toBeUndefined();
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);

    ddb.on(QueryCommand).resolves({ Items: [record] });
    ddb.on(DeleteCommand).rejects(conditionFailed());
    await expect(store.delete('acme', record.keyId)).resolves.toBeUndefined();
  });
});

describe('recordUse', () => {
  it('is an UpdateCommand that touches only keyHash and lastUsedAt', async () => {
    ddb.on(UpdateCommand).resolves({});
    await store.recordUse('f'.repeat(64), '2026-11-26T12:00:00.000Z', '2026-11-26T11:59:00.000Z');
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.Key).toEqual({ keyHash: 'f'.repeat(64) });
    expect(input.UpdateExpression).toBe('SET #lastUsedAt = :usedAt');
    expect(new Set(Object.values(input.ExpressionAttributeNames!))).toEqual(new Set(['keyHash', 'lastUsedAt']));
    expect(input.ExpressionAttributeValues).toEqual({ ':usedAt': '2026-11-26T12:00:00.000Z', ':notBefore': '2026-11-26T11:59:00.000Z' });
    expect(input.ReturnValues ?? 'NONE').toBe('NONE');
    expect(ddb.calls()).toHaveLength(1);
  });

  it('swallows a failed condition (already recorded, or the key is gone)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.recordUse('f'.repeat(64), 'a', 'b')).resolves.toBeUndefined();
  });
});

describe('error translation', () => {
  const transient: [string, Error][] = [
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })],
    ['ThrottlingException', awsError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.')],
    ['RequestLimitExceeded', awsError('RequestLimitExceeded', 'Throughput exceeds the account limit.')],
    ['InternalServerError', awsError('InternalServerError', 'Internal server error', 500)],
    ['an unnamed 503', awsError('UnknownError', 'Service Unavailable', 503)],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' })],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['ENOTFOUND', Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.us-east-1.amazonaws.com'), { code: 'ENOTFOUND' })],
    ['TimeoutError', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })],
  ];

  const operations: [string, () => Promise<unknown>][] = [
    ['create', () => store.create(keyRecord())],
    ['findByHash', () => store.findByHash('0'.repeat(64))],
    ['findById', () => store.findById('acme', testKeyId())],
    ['list', () => store.list('acme', 20)],
    ['update', () => store.update('acme', testKeyId(), { enabled: false })],
    ['delete', () => store.delete('acme', testKeyId())],
    ['recordUse', () => store.recordUse('0'.repeat(64), 'a', 'b')],
  ];

  it.each(transient)('%s becomes StoreUnavailableError for every operation', async (_, error) => {
    ddb.onAnyCommand().rejects(error);
    for (const [, run] of operations) {
      const failure = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect((failure as StoreUnavailableError).cause).toBe(error);
    }
  });

  it('passes other errors through untranslated', async () => {
    const validation = awsError('ValidationException', 'One or more parameter values were invalid');
    ddb.onAnyCommand().rejects(validation);
    await expect(store.findByHash('x')).rejects.toBe(validation);
    await expect(store.create(keyRecord())).rejects.toBe(validation);
    const notAnError = 'boom';
    ddb.onAnyCommand().rejects(notAnError);
    await expect(store.findByHash('x')).rejects.not.toBeInstanceOf(StoreUnavailableError);
  });

  it('a ConditionalCheckFailedException on a read is not a conflict', async () => {
    ddb.on(GetCommand).rejects(conditionFailed());
    await expect(store.findByHash('x')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});

describe('createDocumentClient', () => {
  it('bounds attempts and removes undefined values', async () => {
    const previous = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      const client = createDocumentClient();
      expect(client).toBeInstanceOf(DynamoDBDocumentClient);
      expect(client.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
      expect(await client.config.maxAttempts()).toBe(DYNAMODB_CALL_LIMITS.maxAttempts);
      expect(await client.config.region()).toBe('eu-west-1');
    } finally {
      if (previous === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = previous;
    }
  });
});

describe('table schema', () => {
  it('matches DESIGN §2: keyHash partition key, GSI byTenant (tenantId, keyId), on demand', () => {
    expect(KEY_TABLE).toEqual({ partitionKey: 'keyHash', ttlAttribute: 'ttl', byTenantIndex: { name: 'byTenant', partitionKey: 'tenantId', sortKey: 'keyId' } });
    const input = createTableInput('t');
    expect(input.TableName).toBe('t');
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(input.KeySchema).toEqual([{ AttributeName: 'keyHash', KeyType: 'HASH' }]);
    expect(input.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byTenant',
        KeySchema: [
          { AttributeName: 'tenantId', KeyType: 'HASH' },
          { AttributeName: 'keyId', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(input.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'keyHash', AttributeType: 'S' },
        { AttributeName: 'tenantId', AttributeType: 'S' },
        { AttributeName: 'keyId', AttributeType: 'S' },
      ]),
    );
  });
});
