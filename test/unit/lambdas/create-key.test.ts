import '../../fixtures/handler-env';
import { CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/create-key';
import {
  awsError,
  FakeTable,
  FLUSH_QUEUE_ARN,
  FLUSH_SCHEDULE_GROUP,
  FLUSH_SCHEDULE_ROLE_ARN,
  mockAws,
  preparedTenant,
  TABLE_NAME,
  TENANT_TABLE_NAME,
  USAGE_PLAN_IDS,
} from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, type ProxyEventOptions, selfServiceEvent } from '../../fixtures/events';
import { sha256Hex } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let output: CapturedOutput;

let keyTable: FakeTable;
let tenantTable: FakeTable;

beforeEach(() => {
  aws.reset();
  keyTable = new FakeTable(aws.ddb, [], undefined, { tableName: TABLE_NAME });
  tenantTable = new FakeTable(aws.ddb, [], undefined, { tableName: TENANT_TABLE_NAME, keyAttributes: ['tenantId', 'sk'] });
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (options: Partial<ProxyEventOptions> = {}) =>
  adminEvent({ method: 'POST', resource: '/tenants/{tenantId}/keys', pathParameters: { tenantId: 'acme' }, ...options });

const self = (options: Partial<Omit<ProxyEventOptions, 'authorizer'>> = {}, scopes = 'keys:manage orders:read') =>
  selfServiceEvent({
    method: 'POST',
    resource: '/keys',
    apiKey: 'ak_callerKeyIsNotUsedByHandlersXXXXXXXXXXXXXX',
    authorizer: { tenantId: 'acme', keyId: 'key_01JD5Z0000000000000000CALL', keyName: 'Admin bot', scopes },
    ...options,
  });

/** No 4xx may write: no PutItem/UpdateItem/DeleteItem, and no cache flush. */
function expectNothingWritten() {
  expect(aws.writes()).toHaveLength(0);
  expect(aws.flush.calls('FlushStageAuthorizersCache')).toEqual([]);
  expect(aws.flush.calls('CreateSchedule')).toEqual([]);
}

describe('POST /tenants/{tenantId}/keys (admin)', () => {
  it('201 with Location under the stage path, the ApiKey and the plaintext once', async () => {
    const result = await handler(
      admin({ body: { name: 'CI pipeline', scopes: ['orders:read'], expiresAt: '2030-01-01T00:00:00Z' } }),
    );
    const body = expectJson<Record<string, unknown>>(result, 201);

    expect(body).toEqual({
      id: expect.stringMatching(/^key_[0-9A-HJKMNP-TV-Z]{26}$/),
      tenantId: 'acme',
      name: 'CI pipeline',
      hint: expect.stringMatching(/^ak_\u2026[0-9A-Za-z]{4}$/),
      scopes: ['orders:read'],
      enabled: true,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      expiresAt: '2030-01-01T00:00:00.000Z',
      lastUsedAt: null,
      status: 'active',
      rotatedTo: null,
      revokedAt: null,
      revokedReason: null,
      meta: {},
      key: expect.stringMatching(/^ak_[0-9A-Za-z]{38}$/),
    });
    expect(headerOf(result, 'Location')).toBe(`/v1/tenants/acme/keys/${body.id}`);

    // The key with its audit record, in one write: the record is delivered after the answer.
    expect(aws.ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(aws.ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'api-keys-test',
      ConditionExpression: expect.stringContaining('attribute_not_exists('),
      Item: expect.objectContaining({
        keyHash: sha256Hex(body.key as string),
        keyId: body.id,
        tenantId: 'acme',
        ttl: 1893456000,
        auditRecords: [expect.objectContaining({ action: 'key.created', keyId: body.id, keyName: 'CI pipeline' })],
      }),
    });
    // The tenant's first key: its API Gateway key is made and put in the default plan's usage plan; nothing flushed.
    expect(aws.apigw).toHaveReceivedCommandWith(CreateUsagePlanKeyCommand, {
      usagePlanId: USAGE_PLAN_IDS.free,
      keyId: 'apikey1',
    });
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toEqual([]);
    expect(tenantTable.items.get(`acme\u0000tenant`)).toMatchObject({ usageKeyId: 'apikey1', usagePlan: 'free' });
  });

  it('makes no API Gateway call for a tenant whose keys count against its plan already', async () => {
    tenantTable.put(preparedTenant('acme'));
    expectJson(await handler(admin({ body: { name: 'n' } })), 201);
    expect(aws.apigw).not.toHaveReceivedAnyCommand();
    expect(aws.flush.calls()).toEqual([]);
  });

  it('accepts charset parameters, lower-case header names and base64-encoded bodies', async () => {
    expectJson(
      await handler(admin({ body: { name: 'a' }, headers: { 'Content-Type': 'application/json; charset=utf-8' } })),
      201,
    );
    expectJson(
      await handler(
        admin({ body: { name: 'b' }, omitHeaders: ['Content-Type'], headers: { 'content-type': 'application/json' } }),
      ),
      201,
    );
    const encoded = Buffer.from(JSON.stringify({ name: 'c' })).toString('base64');
    expectJson(await handler(admin({ body: encoded, isBase64Encoded: true })), 201);
    // Each key with its audit record.
    expect(aws.ddb).toHaveReceivedCommandTimes(PutCommand, 3);
  });

  describe('400', () => {
    it.each<[string, unknown, string]>([
      ['an unknown field', { name: 'n', owner: 'me' }, '(body)'],
      ['an empty name', { name: '   ' }, 'name'],
      ['a long name', { name: 'x'.repeat(101) }, 'name'],
      ['a control character', { name: 'a\u0007b' }, 'name'],
      ['a bad scope', { name: 'n', scopes: ['Orders:Read'] }, 'scopes.0'],
      ['21 scopes', { name: 'n', scopes: Array.from({ length: 21 }, (_, i) => `s${i}`) }, 'scopes'],
      ['a bad date', { name: 'n', expiresAt: '2030-01-01' }, 'expiresAt'],
      ['a past date', { name: 'n', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
      ['a non-object body', [], '(body)'],
    ])('%s, with errors[]', async (_, body, path) => {
      const problem = expectProblem(await handler(admin({ body })), 400, { errors: true });
      expect(problem.errors!.map((e) => e.path)).toContain(path);
      expectNothingWritten();
    });

    it('bad JSON', async () => {
      expectProblem(await handler(admin({ body: '{"name": "x",' })), 400);
      expectProblem(await handler(admin({ body: 'name=x' })), 400);
      expectNothingWritten();
    });

    it('no body at all', async () => {
      expectProblem(await handler(admin({ body: undefined })), 400, { errors: true });
      expectNothingWritten();
    });

    it('a malformed tenant id in the path', async () => {
      const problem = expectProblem(
        await handler(admin({ pathParameters: { tenantId: 'acme corp' }, body: { name: 'n' } })),
        400,
        { errors: true },
      );
      expect(problem.errors![0].path).toBe('tenantId');
      expectNothingWritten();
    });
  });

  describe('413', () => {
    const big = JSON.stringify({ name: 'n', pad: 'x'.repeat(10 * 1024) });

    it('for a body over 10 KiB', async () => {
      expectProblem(await handler(admin({ body: big })), 413);
      expectNothingWritten();
    });

    it('for a base64-encoded body over 10 KiB once decoded', async () => {
      expectProblem(await handler(admin({ body: Buffer.from(big).toString('base64'), isBase64Encoded: true })), 413);
      expectNothingWritten();
    });

    it('not for exactly 10 KiB', async () => {
      const exact = JSON.stringify({ name: 'x'.repeat(10 * 1024 - 11) });
      expect(Buffer.byteLength(exact)).toBe(10 * 1024);
      expectProblem(await handler(admin({ body: exact })), 400, { errors: true });
    });

    it('counts bytes, not characters', async () => {
      const multibyte = JSON.stringify({ name: 'é'.repeat(5200) }); // 5200 characters, 10400+ bytes
      expect(multibyte.length).toBeLessThan(10 * 1024);
      expectProblem(await handler(admin({ body: multibyte })), 413);
    });
  });

  describe('415', () => {
    it('for text/plain', async () => {
      expectProblem(
        await handler(admin({ body: JSON.stringify({ name: 'n' }), headers: { 'Content-Type': 'text/plain' } })),
        415,
      );
      expectNothingWritten();
    });

    it('for a body without Content-Type', async () => {
      expectProblem(await handler(admin({ body: { name: 'n' }, omitHeaders: ['content-type'] })), 415);
      expectNothingWritten();
    });

    it('for form data and lookalikes', async () => {
      for (const type of [
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'text/json',
      ]) {
        expectProblem(await handler(admin({ body: { name: 'n' }, headers: { 'Content-Type': type } })), 415);
      }
      expectNothingWritten();
    });
  });

  it('503 with Retry-After when DynamoDB throttles', async () => {
    for (const name of ['ProvisionedThroughputExceededException', 'ThrottlingException']) {
      aws.ddb.on(PutCommand).rejects(awsError(name, 'Rate exceeded'));
      const result = await handler(admin({ body: { name: 'n' } }));
      expectProblem(result, 503);
      expect(Number(headerOf(result, 'Retry-After'))).toBeGreaterThan(0);
    }
  });

  it('503 for a store failure that is not transient, without leaking details, and logged as an error', async () => {
    aws.ddb
      .on(PutCommand)
      .rejects(awsError('ValidationException', 'Item size has exceeded the maximum allowed size; table arn:aws:dynamodb:secret'));
    const result = await handler(admin({ body: { name: 'n' } }));
    const problem = expectProblem(result, 503);
    expect(result.body).not.toMatch(/ValidationException|Item size|arn:aws|secret|stack|at /);
    expect(problem.detail).toBe('The service is temporarily unavailable; retry shortly.');
    expect(output.text()).toContain('"level":"ERROR"');
    expect(output.text()).toContain('ValidationException');
    expect(output.text()).not.toContain('Item size');
  });

  it('503 with Retry-After after three hash collisions in a row: a retry draws new keys', async () => {
    aws.ddb.on(PutCommand).rejects(awsError('ConditionalCheckFailedException', 'The conditional request failed'));
    const result = await handler(admin({ body: { name: 'n' } }));
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
    expect(aws.ddb).toHaveReceivedCommandTimes(PutCommand, 3);
  });
});

describe('scheduled cache flush at expiry', () => {
  it('a key with expiresAt gets a one-time flush just after it, so no cached Allow outlives it', async () => {
    const body = expectJson<{ id: string }>(
      await handler(admin({ body: { name: 'Temp', expiresAt: '2099-01-01T00:00:00.250Z' } })),
      201,
    );
    // And its expiry warning, a week before (expiry-warnings.test.ts).
    expect(aws.flush.calls('CreateSchedule')).toHaveLength(2);
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(
      expect.objectContaining({
        Name: `flush-${body.id}`,
        GroupName: FLUSH_SCHEDULE_GROUP,
        ScheduleExpression: 'at(2099-01-01T00:00:02)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: expect.objectContaining({
          Arn: FLUSH_QUEUE_ARN,
          RoleArn: FLUSH_SCHEDULE_ROLE_ARN,
          Input: JSON.stringify({ requestedAt: '2099-01-01T00:00:02.000Z', followUp: false }),
        }),
      }),
    );
  });

  it('a key without expiresAt schedules nothing', async () => {
    expectJson(await handler(admin({ body: { name: 'Forever' } })), 201);
    expect(aws.flush.calls('CreateSchedule')).toEqual([]);
  });

  it('a scheduling failure does not fail the create', async () => {
    aws.flush.on('CreateSchedule').rejects(awsError('ServiceQuotaExceededException', 'Too many schedules', 402));
    expectJson(await handler(admin({ body: { name: 'Temp', expiresAt: '2099-01-01T00:00:00Z' } })), 201);
    expect(output.text()).toContain('could not be scheduled');
  });
});

describe('POST /keys (self-service)', () => {
  it("creates in the caller's own tenant, taken from the authorizer context", async () => {
    const result = await handler(self({ body: { name: 'Worker', scopes: ['orders:read'] } }));
    const body = expectJson<Record<string, unknown>>(result, 201);
    expect(body.tenantId).toBe('acme');
    expect(headerOf(result, 'Location')).toBe(`/v1/keys/${body.id}`);
    expect(aws.ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ tenantId: 'acme', scopes: ['orders:read'] }),
    });
  });

  it('cannot name a tenant in the body', async () => {
    expectProblem(await handler(self({ body: { name: 'n', tenantId: 'globex' } })), 400, { errors: true });
    expectNothingWritten();
  });

  it('403 for scopes the calling key does not hold', async () => {
    const problem = expectProblem(await handler(self({ body: { name: 'n', scopes: ['orders:read', 'orders:write'] } })), 403, {
      errors: true,
    });
    expect(problem.errors).toEqual([{ path: 'scopes.1', message: expect.stringContaining('orders:write') }]);
    expectNothingWritten();
  });

  it('500 (not a write to some default tenant) when the authorizer context is missing', async () => {
    const event = self({ body: { name: 'n' } });
    event.requestContext.authorizer = undefined;
    expectProblem(await handler(event), 500);
    expectNothingWritten();
  });
});

describe('Idempotency-Key', () => {
  const withKey = (idempotencyKey: string, body: unknown = { name: 'CI pipeline' }) =>
    admin({ body, headers: { 'Idempotency-Key': idempotencyKey } });

  it('a repeat answers 200 with the key it created, marked as replayed, without its secret, and creates nothing more', async () => {
    const first = await handler(withKey('order-42'));
    const created = expectJson<{ id: string; key: string }>(first, 201);
    const repeat = await handler(withKey('order-42'));
    const replayed = expectJson<Record<string, unknown>>(repeat, 200);
    expect(replayed).toMatchObject({ id: created.id, name: 'CI pipeline' });
    expect(replayed).not.toHaveProperty('key');
    expect(headerOf(repeat, 'Idempotent-Replayed')).toBe('true');
    expect(headerOf(repeat, 'Location')).toBe(headerOf(first, 'Location'));
    expect(repeat.body).not.toContain(created.key);
    expect(keyTable.items.size).toBe(1);
    // The tenant table keeps a digest of the client's key, and the key id: no secret, no hash of one.
    expect(JSON.stringify([...tenantTable.items.values()])).not.toContain('order-42');
    expect(JSON.stringify([...tenantTable.items.values()])).not.toContain(sha256Hex(created.key));
  });

  it('422 for the same key with another body, 400 for a malformed key; neither creates anything', async () => {
    await handler(withKey('order-42'));
    expectProblem(await handler(withKey('order-42', { name: 'other' })), 422);
    expectProblem(await handler(withKey('not a key')), 400, { errors: true });
    expect(keyTable.items.size).toBe(1);
  });
});
