import '../../fixtures/handler-env';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/rotate-key';
import { awsError, FakeTable, mockAws, preparedTenant, TABLE_NAME, TENANT_TABLE_NAME } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, type ProxyEventOptions, selfServiceEvent } from '../../fixtures/events';
import { keyRecord, sha256Hex, testKeyId } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
const old = keyRecord({ tenantId: 'acme', name: 'Deploy bot', scopes: ['orders:read', 'keys:manage'] });
const theirs = keyRecord({ tenantId: 'globex' });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [old, theirs], undefined, { tableName: TABLE_NAME });
  // Tenants whose keys count against their plan already.
  new FakeTable(aws.ddb, [preparedTenant('acme'), preparedTenant('globex')], undefined, {
    tableName: TENANT_TABLE_NAME,
    keyAttributes: ['tenantId', 'sk'],
  });
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (keyId: string, body?: unknown, options: Partial<ProxyEventOptions> = {}) =>
  adminEvent({
    method: 'POST',
    resource: '/tenants/{tenantId}/keys/{keyId}/rotate',
    pathParameters: { tenantId: 'acme', keyId },
    body,
    ...options,
  });
const self = (keyId: string, body: unknown, scopes: string) =>
  selfServiceEvent({
    method: 'POST',
    resource: '/keys/{keyId}/rotate',
    pathParameters: { keyId },
    body,
    apiKey: 'ak_unused',
    authorizer: { tenantId: 'acme', keyId: testKeyId(), keyName: 'caller', scopes },
  });

function expectNothingWritten() {
  expect(aws.writes()).toHaveLength(0);
  expect(aws.flush.calls('FlushStageAuthorizersCache')).toEqual([]);
  expect(aws.flush.calls('CreateSchedule')).toEqual([]);
}

interface Issued {
  id: string;
  key: string;
  rotatedFrom: string;
  [field: string]: unknown;
}

describe('POST /tenants/{tenantId}/keys/{keyId}/rotate', () => {
  it('201: a new key with the old name and scopes, Location of the new key, old key expires after the grace period', async () => {
    const before = Date.now();
    const result = await handler(admin(old.keyId, { gracePeriodSeconds: 3600 }));
    const after = Date.now();
    const body = expectJson<Issued>(result, 201);

    expect(body).toMatchObject({
      tenantId: 'acme',
      name: 'Deploy bot',
      scopes: ['orders:read', 'keys:manage'],
      enabled: true,
      rotatedFrom: old.keyId,
    });
    expect(body.id).not.toBe(old.keyId);
    expect(body.key).toMatch(/^ak_[0-9A-Za-z]{38}$/);
    expect(headerOf(result, 'Location')).toBe(`/v1/tenants/acme/keys/${body.id}`);

    expect(aws.ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ keyHash: sha256Hex(body.key), name: 'Deploy bot' }),
    });
    const expiry = Date.parse(table.get(old.keyHash)!.expiresAt as string);
    expect(expiry).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expiry).toBeLessThanOrEqual(after + 3600_000);
    expect(table.get(old.keyHash)!.ttl).toBe(Math.ceil(expiry / 1000));
    // Nothing is revoked yet: the flush is scheduled for the end of the grace period.
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toEqual([]);
  });

  it('with no grace period, flushes the cache now', async () => {
    await handler(admin(old.keyId, {}));
    expect(aws.flush.inputs('FlushStageAuthorizersCache')).toContainEqual(
      expect.objectContaining({ restApiId: 'abc123', stageName: 'v1' }),
    );
  });

  it('schedules a flush for the end of the grace period (with none, a second after: it catches an authorization in flight)', async () => {
    await handler(admin(old.keyId, { gracePeriodSeconds: 3600 }));
    const graceEnds = Date.parse(table.get(old.keyHash)!.expiresAt as string);
    const flushAt = new Date(Math.ceil((graceEnds + 1000) / 1000) * 1000).toISOString().slice(0, 19);
    expect(aws.flush.calls('CreateSchedule')).toHaveLength(1);
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(
      expect.objectContaining({
        Name: `flush-${old.keyId}`,
        ScheduleExpression: `at(${flushAt})`,
      }),
    );

    const again = keyRecord({ tenantId: 'acme' });
    table.put(again as never);
    const before = Date.now();
    await handler(admin(again.keyId, {}));
    const scheduled = aws.flush.inputs('CreateSchedule')[1];
    const immediateFlushAt = Date.parse(`${scheduled.ScheduleExpression!.slice(3, -1)}Z`);
    expect(immediateFlushAt).toBeGreaterThanOrEqual(before + 1000);
    expect(immediateFlushAt).toBeLessThanOrEqual(Date.now() + 2000);
  });

  it('the new key is written pending, then the old one retired, then the new one made live', async () => {
    await handler(admin(old.keyId, {}));
    const keyTableCalls = aws.ddb.calls().filter((call) => (call.args[0] as { input: any }).input.TableName === TABLE_NAME);
    const order = keyTableCalls.map((call) => (call.args[0] as object).constructor.name).filter((n) => n !== 'QueryCommand');
    // The rotation's audit record is in the replacement, from its first write: it goes live with it.
    expect(order).toEqual(['PutCommand', 'UpdateCommand', 'UpdateCommand']);
    const [put, retire, activate] = keyTableCalls
      .map((call) => (call.args[0] as { input: Record<string, any> }).input)
      .filter((input) => !input.KeyConditionExpression);
    expect(put.Item.pending).toBe(true);
    expect(put.Item.auditRecords).toEqual([
      expect.objectContaining({ action: 'key.rotated', keyId: old.keyId, keyName: old.name }),
    ]);
    expect(retire.Key.keyHash).toBe(old.keyHash);
    expect(activate.Key.keyHash).toBe(put.Item.keyHash);
    expect(activate.UpdateExpression).toContain('REMOVE #pending');
  });

  it('without a body, the old key expires at once', async () => {
    const before = Date.now();
    expectJson(await handler(admin(old.keyId)), 201);
    expect(Date.parse(table.get(old.keyHash)!.expiresAt as string)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(table.get(old.keyHash)!.expiresAt as string)).toBeGreaterThanOrEqual(before);
  });

  it('accepts the 604800-second maximum', async () => {
    expectJson(await handler(admin(old.keyId, { gracePeriodSeconds: 604_800 })), 201);
  });

  it.each([[-1], [604_801], [1.5], ['60'], [null]])(
    '400 with errors[] for gracePeriodSeconds %p, writing nothing',
    async (grace) => {
      const problem = expectProblem(await handler(admin(old.keyId, { gracePeriodSeconds: grace })), 400, { errors: true });
      expect(problem.errors![0].path).toBe('gracePeriodSeconds');
      expectNothingWritten();
    },
  );

  it('400 for unknown fields and bad JSON; 415 for a non-JSON body', async () => {
    expectProblem(await handler(admin(old.keyId, { gracePeriod: 5 })), 400, { errors: true });
    expectProblem(await handler(admin(old.keyId, '{')), 400);
    expectProblem(await handler(admin(old.keyId, '{}', { headers: { 'Content-Type': 'text/plain' } })), 415);
    expectNothingWritten();
  });

  it("404 for unknown, another tenant's and malformed ids, writing nothing", async () => {
    for (const keyId of [testKeyId(), theirs.keyId, 'key_x']) expectProblem(await handler(admin(keyId, {})), 404);
    expectNothingWritten();
  });

  it('a flush failure does not fail the request', async () => {
    aws.flush.on('FlushStageAuthorizersCache').rejects(new Error('socket hang up'));
    expectJson(await handler(admin(old.keyId, {})), 201);
  });

  it('503 with Retry-After when the write is throttled', async () => {
    aws.ddb.on(PutCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    const result = await handler(admin(old.keyId, {}));
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
    expect(aws.ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('503 when the lookup fails', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('InternalServerError', 'Internal server error', 500));
    expectProblem(await handler(admin(old.keyId, {})), 503);
    expectNothingWritten();
  });
});

describe('POST /keys/{keyId}/rotate (self-service)', () => {
  it('201 with Location under /v1/keys when the caller holds every scope of the key', async () => {
    const result = await handler(self(old.keyId, {}, 'keys:manage orders:read'));
    const body = expectJson<Issued>(result, 201);
    expect(headerOf(result, 'Location')).toBe(`/v1/keys/${body.id}`);
    expect(body.tenantId).toBe('acme');
  });

  it('403 when the key holds scopes the caller lacks', async () => {
    expectProblem(await handler(self(old.keyId, {}, 'keys:manage')), 403, { errors: true });
    expectNothingWritten();
  });
});
