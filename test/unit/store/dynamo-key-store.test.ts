import 'aws-sdk-client-mock-jest';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
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
import {
  ConcurrentChangeError,
  NoRoomForRecordError,
  StoreConflictError,
  StoreUnavailableError,
} from '../../../src/domain/errors';
import { DynamoKeyStore } from '../../../src/store/dynamo-key-store';
import { createDocumentClient } from '../../../src/store/dynamodb-client';
import { createKeyTableInput, KEY_TABLE } from '../../../src/store/table-schema';
import { awsError } from '../../fixtures/aws';
import { auditRecord, keyRecord, testKeyId } from '../../fixtures/keys';

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
      ConditionExpression: 'attribute_not_exists(#keyHash)',
      ExpressionAttributeNames: { '#keyHash': 'keyHash' },
    });
  });

  it('turns ConditionalCheckFailedException into StoreConflictError when another item has the hash', async () => {
    const record = keyRecord();
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { ...record, keyId: testKeyId() } });
    await expect(store.create(record)).rejects.toBeInstanceOf(StoreConflictError);
  });

  it('recognises the item its own first attempt wrote, when the SDK retried a PutItem that had landed', async () => {
    const record = keyRecord();
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: record });
    await expect(store.create(record)).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { keyHash: record.keyHash }, ConsistentRead: true });
  });
});

describe('findByHash', () => {
  it('is one consistent GetCommand on the partition key', async () => {
    const record = keyRecord();
    ddb.on(GetCommand).resolves({ Item: record });
    await expect(store.findByHash(record.keyHash)).resolves.toEqual(record);
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { keyHash: record.keyHash },
      ConsistentRead: true,
    });
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
      KeyConditionExpression: '#tenantId = :tenantId',
      FilterExpression: 'attribute_not_exists(#pending) AND attribute_not_exists(#deleted)',
      ExpressionAttributeNames: { '#tenantId': 'tenantId', '#pending': 'pending', '#deleted': 'deleted' },
      ExpressionAttributeValues: { ':tenantId': 'acme' },
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
      KeyConditionExpression: '#tenantId = :tenantId AND #keyId < :after',
      ExpressionAttributeNames: { '#tenantId': 'tenantId', '#keyId': 'keyId', '#pending': 'pending', '#deleted': 'deleted' },
      ExpressionAttributeValues: { ':tenantId': 'acme', ':after': records[1].keyId },
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

  it('is one UpdateCommand by hash, conditioned on the tenant and id (and, read unrevoked, unrevoked), returning the state it replaced', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { ...record, name: 'concurrently renamed' } });
    const change = await store.update(record, { name: 'new', enabled: false, scopes: ['a'] });
    expect(change).toEqual({
      before: { ...record, name: 'concurrently renamed' },
      after: { ...record, name: 'new', enabled: false, scopes: ['a'] },
    });
    expect(ddb.calls()).toHaveLength(1);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: TABLE, Key: { keyHash: record.keyHash }, ReturnValues: 'ALL_OLD' });
    expect(input.ConditionExpression).toBe(
      '#tenantId = :tenantId AND #keyId = :keyId AND attribute_not_exists(#deleted) AND attribute_not_exists(#revokedAt)',
    );
    expect(input.UpdateExpression).toBe('SET #name = :name, #scopes = :scopes, #enabled = :enabled');
    expect(input.ExpressionAttributeNames).toEqual({
      '#tenantId': 'tenantId',
      '#keyId': 'keyId',
      '#deleted': 'deleted',
      '#revokedAt': 'revokedAt',
      '#name': 'name',
      '#scopes': 'scopes',
      '#enabled': 'enabled',
    });
    expect(input.ExpressionAttributeValues).toEqual({
      ':tenantId': 'acme',
      ':keyId': record.keyId,
      ':name': 'new',
      ':scopes': ['a'],
      ':enabled': false,
    });
  });

  it('sets expiresAt with ttl, and null removes both', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: record });
    const set = await store.update(record, { expiresAt: '2030-01-01T00:00:00.000Z' });
    expect(set?.after).toMatchObject({ expiresAt: '2030-01-01T00:00:00.000Z', ttl: 1893456000 });
    const setInput = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(setInput.UpdateExpression).toBe('SET #expiresAt = :expiresAt, #ttl = :ttl');
    expect(setInput.ExpressionAttributeValues).toMatchObject({ ':expiresAt': '2030-01-01T00:00:00.000Z', ':ttl': 1893456000 });

    ddb.on(UpdateCommand).resolves({ Attributes: { ...record, expiresAt: '2030-01-01T00:00:00.000Z', ttl: 1893456000 } });
    const removed = await store.update(record, { expiresAt: null });
    expect(removed?.after).not.toHaveProperty('expiresAt');
    expect(removed?.after).not.toHaveProperty('ttl');
    const removeInput = ddb.commandCalls(UpdateCommand)[1].args[0].input;
    expect(removeInput.UpdateExpression).toBe('REMOVE #expiresAt, #ttl');
    expect(Object.values(removeInput.ExpressionAttributeNames ?? {})).toEqual([
      'tenantId',
      'keyId',
      'deleted',
      'revokedAt',
      'expiresAt',
      'ttl',
    ]);
  });

  it('writes a key read revoked without that condition: it stays revoked, whatever is changed of it', async () => {
    const revoked = { ...record, enabled: false, revokedAt: '2026-11-26T12:00:00.000Z', revokedReason: 'leaked' as const };
    ddb.on(UpdateCommand).resolves({ Attributes: revoked });
    await store.update(revoked, { name: 'leaked in a gist' });
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input.ConditionExpression).toBe(
      '#tenantId = :tenantId AND #keyId = :keyId AND attribute_not_exists(#deleted)',
    );
  });

  it('adds the guard to the condition, and a failed guarded write is a concurrent change', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: record });
    const guard = { enabled: false, scopes: ['a', 'b'], expiresAt: null };
    await expect(store.update(record, { enabled: true }, undefined, guard)).rejects.toBeInstanceOf(ConcurrentChangeError);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe(
      '#tenantId = :tenantId AND #keyId = :keyId AND attribute_not_exists(#deleted) AND attribute_not_exists(#revokedAt) AND #enabled = :wasEnabled AND size(#scopes) = :scopeCount AND ' +
        'contains(#scopes, :scope0) AND contains(#scopes, :scope1) AND attribute_not_exists(#expiresAt)',
    );
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':wasEnabled': false,
      ':scopeCount': 2,
      ':scope0': 'a',
      ':scope1': 'b',
    });
  });

  it('returns the key unchanged, without writing, when there is nothing to change', async () => {
    await expect(store.update(record, {})).resolves.toEqual({ before: record, after: record });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses, as a concurrent change, a key read unrevoked that was revoked since: the revocation wins', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { ...record, enabled: false, revokedAt: '2026-11-26T12:00:00.000Z' } });
    await expect(store.update(record, { enabled: true })).rejects.toBeInstanceOf(ConcurrentChangeError);
  });

  it('returns undefined when the item vanished (or was replaced) since it was read', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({});
    await expect(store.update(record, { enabled: false })).resolves.toBeUndefined();
    ddb.on(GetCommand).resolves({ Item: { ...record, keyId: 'key_01JD5Z0000000000000000OTHR' } });
    await expect(store.update(record, { enabled: false })).resolves.toBeUndefined();
    ddb.on(GetCommand).resolves({});
    await expect(store.update(record, { enabled: false }, auditRecord(record.keyId, 'key.updated', 1))).resolves.toBeUndefined();
  });

  it('tells a change refused for want of room for its record from a key gone, even once room was made since', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    // Read back after the refusal: the key is live, and delivery has taken its records out meanwhile.
    ddb.on(GetCommand).resolves({ Item: record });
    const refused = store.update(record, { name: 'n' }, auditRecord(record.keyId, 'key.updated', 1));
    await expect(refused).rejects.toBeInstanceOf(NoRoomForRecordError);
  });
});

describe('delete', () => {
  const record = keyRecord({ tenantId: 'acme' });

  it('is one DeleteCommand by hash, conditioned on the tenant and id', async () => {
    ddb.on(DeleteCommand).resolves({ Attributes: record });
    await expect(store.delete(record)).resolves.toEqual(record);
    expect(ddb.calls()).toHaveLength(1);
    const input = ddb.commandCalls(DeleteCommand)[0].args[0].input;
    expect(input).toMatchObject({ TableName: TABLE, Key: { keyHash: record.keyHash }, ReturnValues: 'ALL_OLD' });
    expect(input.ConditionExpression).toBe('#tenantId = :tenantId AND #keyId = :keyId');
    expect(input.ExpressionAttributeValues).toEqual({ ':tenantId': 'acme', ':keyId': record.keyId });
  });

  it('returns undefined on a lost race', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed());
    await expect(store.delete(record)).resolves.toBeUndefined();
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
    expect(input.ExpressionAttributeValues).toEqual({
      ':usedAt': '2026-11-26T12:00:00.000Z',
      ':notBefore': '2026-11-26T11:59:00.000Z',
    });
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
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
    ],
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
    ['update', () => store.update(keyRecord(), { enabled: false })],
    ['delete', () => store.delete(keyRecord())],
    ['recordUse', () => store.recordUse('0'.repeat(64), 'a', 'b')],
  ];

  it.each(transient)('%s becomes a transient StoreUnavailableError for every operation', async (_, error) => {
    ddb.onAnyCommand().rejects(error);
    for (const [, run] of operations) {
      const failure = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect((failure as StoreUnavailableError).transient).toBe(true);
      expect((failure as StoreUnavailableError).cause).toBe(error);
    }
  });

  it.each([
    ['a missing table', awsError('ResourceNotFoundException', 'Requested resource not found')],
    ['denied access', awsError('AccessDeniedException', 'User is not authorized to perform: dynamodb:GetItem')],
    ['a rejected request', awsError('ValidationException', 'One or more parameter values were invalid')],
    ['an answer the SDK could not read', Object.assign(new SyntaxError('Unexpected token < in JSON'), { $metadata: {} })],
    ['a condition failure where none was expected', conditionFailed()],
  ])('%s becomes a StoreUnavailableError that is not transient, for every operation', async (_, error) => {
    ddb.onAnyCommand().rejects(error);
    for (const [name, run] of operations) {
      const failure = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (
        name === 'recordUse' ||
        (name !== 'findByHash' && name !== 'findById' && name !== 'list' && error.name === 'ConditionalCheckFailedException')
      ) {
        continue; // a write's failed condition is its own answer, tested above
      }
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).transient).toBe(false);
      expect((failure as StoreUnavailableError).cause).toBe(error);
    }
  });
});

describe('createDocumentClient', () => {
  it('bounds attempts, removes undefined values and writes every object as a map', async () => {
    const previous = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      const client = createDocumentClient();
      expect(client).toBeInstanceOf(DynamoDBDocumentClient);
      expect(client.config.translateConfig?.marshallOptions).toEqual({
        removeUndefinedValues: true,
        convertClassInstanceToMap: true,
      });
      expect(await client.config.maxAttempts()).toBe(3);
      expect(await client.config.region()).toBe('eu-west-1');
    } finally {
      if (previous === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = previous;
    }
  });
});

describe('table schema', () => {
  it('matches DESIGN §2: keyHash partition key, GSI byTenant (tenantId, keyId), on demand', () => {
    expect(KEY_TABLE).toEqual({
      partitionKey: 'keyHash',
      ttlAttribute: 'ttl',
      byTenantIndex: { name: 'byTenant', partitionKey: 'tenantId', sortKey: 'keyId' },
      pendingAuditIndex: { name: 'pendingAudit', partitionKey: 'auditPending' },
    });
    const input = createKeyTableInput('t');
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
      {
        IndexName: 'pendingAudit',
        KeySchema: [{ AttributeName: 'auditPending', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
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

describe('rotation writes', () => {
  const old = keyRecord({ tenantId: 'acme' });
  const rotation = { to: testKeyId(), previousExpiresAt: null };

  it('retire sets the rotation and the retirement, only on a live, unrotated key of the tenant', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(
      store.retire(old, { rotation, expiresAt: '2030-01-01T00:00:00.000Z' }, { unexpiredAt: '2029-01-01T00:00:00.000Z' }),
    ).resolves.toBe('retired');
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe(
      '#tenantId = :tenantId AND #keyId = :keyId AND attribute_not_exists(#deleted) AND attribute_not_exists(#revokedAt) AND (attribute_not_exists(#rotation) AND (attribute_not_exists(#ttl) OR #ttl > :now))',
    );
    expect(input.UpdateExpression).toBe('SET #rotation = :rotation, #expiresAt = :expiresAt, #ttl = :ttl');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':rotation': rotation, ':now': 1861920000, ':ttl': 1893456000 });
  });

  it('retire supersedes only the unfinished rotation it names', async () => {
    ddb.on(UpdateCommand).resolves({});
    await store.retire(old, { rotation, expiresAt: '2030-01-01T00:00:00.000Z' }, { supersedes: 'key_stale' });
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe(
      '#tenantId = :tenantId AND #keyId = :keyId AND attribute_not_exists(#deleted) AND attribute_not_exists(#revokedAt) AND #rotation.#to = :to',
    );
    expect(input.ExpressionAttributeValues).toMatchObject({ ':to': 'key_stale' });
  });

  it('a refused retire says whether the key is gone or changed, or recognises its own retried write', async () => {
    const retire = () =>
      store.retire(old, { rotation, expiresAt: '2030-01-01T00:00:00.000Z' }, { unexpiredAt: '2029-01-01T00:00:00.000Z' });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({});
    await expect(retire()).resolves.toBe('gone');
    ddb.on(GetCommand).resolves({ Item: { ...old, rotation: { ...rotation, to: 'key_other' } } });
    await expect(retire()).resolves.toBe('changed');
    ddb.on(GetCommand).resolves({ Item: { ...old, rotation } });
    await expect(retire()).resolves.toBe('retired');
  });

  it('activate makes a pending replacement live, and recognises one a retried write made live', async () => {
    const replacement = keyRecord({ tenantId: 'acme', pending: true, ttl: 5 });
    ddb.on(UpdateCommand).resolves({});
    await store.activate(replacement);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe('#tenantId = :tenantId AND #keyId = :keyId AND attribute_exists(#pending)');
    expect(input.UpdateExpression).toBe('REMOVE #pending, #ttl');

    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { ...replacement, pending: undefined } });
    await expect(store.activate(replacement)).resolves.toBeUndefined();
    ddb.on(GetCommand).resolves({});
    await expect(store.activate(replacement)).rejects.toBeInstanceOf(StoreConflictError);
  });

  it('activate keeps the TTL of a replacement that expires', async () => {
    ddb.on(UpdateCommand).resolves({});
    await store.activate(keyRecord({ tenantId: 'acme', pending: true, expiresAt: '2030-01-01T00:00:00.000Z' }));
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.UpdateExpression).toBe('SET #ttl = :ttl REMOVE #pending');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':ttl': 1893456000 });
  });

  it('restore gives the key its own expiry back, only while it still carries this rotation', async () => {
    ddb.on(UpdateCommand).resolves({});
    await store.restore(old, { to: 'key_new', previousExpiresAt: '2031-01-01T00:00:00.000Z' });
    await store.restore(old, { to: 'key_new', previousExpiresAt: null });
    const [withExpiry, without] = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(withExpiry.ConditionExpression).toBe('#tenantId = :tenantId AND #keyId = :keyId AND #rotation.#to = :to');
    expect(withExpiry.UpdateExpression).toBe('SET #expiresAt = :expiresAt, #ttl = :ttl REMOVE #rotation');
    expect(without.UpdateExpression).toBe('REMOVE #rotation, #expiresAt, #ttl');
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.restore(old, { to: 'key_new', previousExpiresAt: null })).resolves.toBeUndefined();
  });

  it('findById and list leave pending replacements out, unless asked, and deleted keys always', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await store.findById('acme', old.keyId);
    await store.findById('acme', old.keyId, { includePending: true });
    await store.list('acme', 10);
    const [live, any, list] = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(live.FilterExpression).toBe('attribute_not_exists(#pending) AND attribute_not_exists(#deleted)');
    expect(any.FilterExpression).toBe('attribute_not_exists(#deleted)');
    expect(list.FilterExpression).toBe('attribute_not_exists(#pending) AND attribute_not_exists(#deleted)');
  });
});
