import '../../fixtures/handler-env';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/update-key';
import { awsError, FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, type ProxyEventOptions, selfServiceEvent } from '../../fixtures/events';
import { keyRecord, testKeyId } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
const mine = keyRecord({ tenantId: 'acme', scopes: ['orders:read'], expiresAt: '2030-01-01T00:00:00.000Z', ttl: 1893456000 });
const theirs = keyRecord({ tenantId: 'globex' });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [mine, theirs]);
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (keyId: string, body: unknown, options: Partial<ProxyEventOptions> = {}) =>
  adminEvent({
    method: 'PATCH',
    resource: '/tenants/{tenantId}/keys/{keyId}',
    pathParameters: { tenantId: 'acme', keyId },
    body,
    ...options,
  });
const self = (keyId: string, body: unknown, scopes = 'keys:manage orders:read') =>
  selfServiceEvent({
    method: 'PATCH',
    resource: '/keys/{keyId}',
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

describe('PATCH /tenants/{tenantId}/keys/{keyId}', () => {
  it('200 with the updated ApiKey, then flushes the authorizer cache', async () => {
    const body = expectJson(await handler(admin(mine.keyId, { name: ' Renamed ', enabled: false, scopes: ['a', 'a'] })), 200);
    expect(body).toMatchObject({
      id: mine.keyId,
      name: 'Renamed',
      enabled: false,
      scopes: ['a'],
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    expect(table.get(mine.keyHash)).toMatchObject({ name: 'Renamed', enabled: false, scopes: ['a'] });
    // The change with its audit record, in one write: the record is delivered after the answer.
    expect(aws.ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(table.get(mine.keyHash)?.auditRecords).toEqual([
      expect.objectContaining({
        action: 'key.updated',
        keyName: 'Renamed',
        changes: expect.objectContaining({ enabled: { old: true, new: false } }),
      }),
    ]);
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(1);
    expect(aws.flush.inputs('FlushStageAuthorizersCache')).toContainEqual(
      expect.objectContaining({ restApiId: 'abc123', stageName: 'v1' }),
    );
  });

  it('expiresAt null clears expiry and ttl', async () => {
    expect(expectJson(await handler(admin(mine.keyId, { expiresAt: null })), 200)).toMatchObject({ expiresAt: null });
    expect(table.get(mine.keyHash)).not.toHaveProperty('ttl');
    expect(table.get(mine.keyHash)).not.toHaveProperty('expiresAt');
  });

  it('a new expiresAt schedules a flush just after it; clearing it schedules none', async () => {
    expectJson(await handler(admin(mine.keyId, { expiresAt: '2099-06-01T00:00:00Z' })), 200);
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(
      expect.objectContaining({
        Name: `flush-${mine.keyId}`,
        ScheduleExpression: 'at(2099-06-01T00:00:01)',
      }),
    );
    const scheduled = aws.flush.calls('CreateSchedule').length;
    expectJson(await handler(admin(mine.keyId, { expiresAt: null })), 200);
    expect(aws.flush.calls('CreateSchedule')).toHaveLength(scheduled);
  });

  it('a flush failure does not fail the request', async () => {
    aws.flush.on('FlushStageAuthorizersCache').rejects(awsError('TooManyRequestsException', 'Too Many Requests', 429));
    expectJson(await handler(admin(mine.keyId, { enabled: false })), 200);
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(1);
  });

  it.each<[string, string, unknown]>([
    ['unknown', testKeyId(), { enabled: false }],
    ["another tenant's", theirs.keyId, { enabled: false }],
    ['a malformed', 'key_nope', { enabled: false }],
  ])('404 for %s key, writing nothing', async (_, keyId, body) => {
    expectProblem(await handler(admin(keyId, body)), 404);
    expectNothingWritten();
    expect(table.get(theirs.keyHash)).toMatchObject({ enabled: true });
  });

  it.each<[string, unknown, string]>([
    ['an empty patch', {}, '(body)'],
    ['an unknown field', { enabled: false, tenantId: 'globex' }, '(body)'],
    ['a bad name', { name: '' }, 'name'],
    ['a bad scope', { scopes: ['UPPER'] }, 'scopes.0'],
    ['a bad date', { expiresAt: 'next week' }, 'expiresAt'],
    ['a past date', { expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
    ['a non-boolean enabled', { enabled: 'no' }, 'enabled'],
  ])('400 with errors[] for %s, writing nothing', async (_, body, path) => {
    const problem = expectProblem(await handler(admin(mine.keyId, body)), 400, { errors: true });
    expect(problem.errors!.map((e) => e.path)).toContain(path);
    expectNothingWritten();
  });

  it('400 for bad JSON and a missing body; 413; 415', async () => {
    expectProblem(await handler(admin(mine.keyId, '{enabled: false}')), 400);
    expectProblem(await handler(admin(mine.keyId, undefined)), 400, { errors: true });
    expectProblem(await handler(admin(mine.keyId, { name: 'x'.repeat(11 * 1024) })), 413);
    expectProblem(await handler(admin(mine.keyId, { enabled: false }, { headers: { 'Content-Type': 'text/plain' } })), 415);
    expectNothingWritten();
  });

  it('415 for application/merge-patch+json: the API takes application/json only', async () => {
    expectProblem(
      await handler(admin(mine.keyId, { enabled: false }, { headers: { 'Content-Type': 'application/merge-patch+json' } })),
      415,
    );
    expectNothingWritten();
  });

  it('503 with Retry-After when DynamoDB throttles', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    const result = await handler(admin(mine.keyId, { enabled: false }));
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
    expect(aws.apigw).not.toHaveReceivedAnyCommand();
    expect(aws.flush.calls()).toEqual([]);
  });
});

describe('PATCH /keys/{keyId} (self-service)', () => {
  it("updates a key of the caller's tenant and flushes", async () => {
    expectJson(await handler(self(mine.keyId, { enabled: false })), 200);
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(1);
  });

  it("404 for another tenant's key", async () => {
    expectProblem(await handler(self(theirs.keyId, { enabled: false })), 404);
    expectNothingWritten();
  });

  it('403 for widening scopes beyond the caller’s own', async () => {
    const problem = expectProblem(await handler(self(mine.keyId, { scopes: ['orders:read', 'billing:write'] })), 403, {
      errors: true,
    });
    expect(problem.errors![0].path).toBe('scopes.1');
    expectNothingWritten();
  });
});
