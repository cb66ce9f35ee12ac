import '../../fixtures/handler-env';
import '../../fixtures/sdk-key-reads';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/verify-key';
import { awsError, FakeTable, METRICS_NAMESPACE, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { countIn, emfLines, emfProblems, emittedMetrics } from '../../fixtures/emf';
import { adminEvent } from '../../fixtures/events';
import { keyRecord, testKey } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;

const validKey = testKey();
const valid = keyRecord({ key: validKey, tenantId: 'acme', name: 'Orders', scopes: ['orders:read', 'orders:write'] });
const disabledKey = testKey();
const expiredKey = testKey();
const pendingKey = testKey();
const unknownKey = testKey();

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [
    valid,
    keyRecord({ key: disabledKey, enabled: false }),
    keyRecord({ key: expiredKey, expiresAt: new Date(Date.now() - 1000).toISOString() }),
    keyRecord({ key: pendingKey, pending: true }),
  ]);
  output = captureOutput();
});
afterEach(() => output.restore());

const verify = (body: unknown) => handler(adminEvent({ method: 'POST', resource: '/verify', body }));

describe('POST /verify', () => {
  it('200 valid, with the key’s tenant, id, name, scopes and (empty) metadata, and never the key', async () => {
    const result = await verify({ key: validKey });
    expect(expectJson(result, 200)).toEqual({
      valid: true,
      tenantId: 'acme',
      keyId: valid.keyId,
      name: 'Orders',
      scopes: ['orders:read', 'orders:write'],
      meta: {},
    });
    expect(result.body).not.toContain(validKey);
    expect(result.body).not.toContain(valid.keyHash);
  });

  it('200 valid when the key holds the scope asked about', async () => {
    expect(expectJson(await verify({ key: validKey, scope: 'orders:write' }), 200)).toMatchObject({ valid: true });
  });

  it('200 INSUFFICIENT_SCOPE for a valid key without the scope', async () => {
    expect(expectJson(await verify({ key: validKey, scope: 'billing:read' }), 200)).toEqual({
      valid: false,
      code: 'INSUFFICIENT_SCOPE',
    });
  });

  it.each([
    ['unknown', unknownKey],
    ['disabled', disabledKey],
    ['expired', expiredKey],
    ['a rotation’s pending replacement', pendingKey],
  ])('200 NOT_FOUND for a key that is %s, scope or not', async (_case, key) => {
    for (const body of [{ key }, { key, scope: 'orders:read' }]) {
      expect(expectJson(await verify(body), 200)).toEqual({ valid: false, code: 'NOT_FOUND' });
    }
  });

  it.each([
    ['a bad checksum', `${validKey.slice(0, -1)}${validKey.endsWith('A') ? 'B' : 'A'}`],
    ['a made-up key', 'ak_not_a_real_key'],
    ['an empty string', ''],
  ])('200 NOT_FOUND for %s, without reading the table', async (_case, key) => {
    expect(expectJson(await verify({ key }), 200)).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect(aws.ddb.calls()).toHaveLength(0);
  });

  it('records the use of a valid key, as the authorizer does, at most once a minute', async () => {
    await verify({ key: validKey });
    await verify({ key: validKey, scope: 'billing:read' });
    expect(aws.ddb).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(aws.ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(table.get(valid.keyHash)!.lastUsedAt).toEqual(expect.any(String));
  });

  it('still answers when recording the use fails', async () => {
    aws.ddb.on(UpdateCommand).rejects(awsError('ProvisionedThroughputExceededException', 'slow down'));
    expect(expectJson(await verify({ key: validKey }), 200)).toMatchObject({ valid: true });
  });

  it('503 with Retry-After when the table cannot be read', async () => {
    aws.ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException', 'slow down'));
    const result = await verify({ key: validKey });
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toMatch(/^\d+$/);
  });

  it.each([
    ['no key', {}, ['key']],
    ['a key that is not a string', { key: 42 }, ['key']],
    ['a malformed scope', { key: validKey, scope: 'Orders' }, ['scope']],
    ['an unknown field', { key: validKey, tenant: 'acme' }, ['(body)']],
    ['a body that is not an object', [validKey], ['(body)']],
  ])('400 for %s, naming the field, without reading', async (_case, body, paths) => {
    const problem = expectProblem(await verify(body), 400, { errors: true });
    expect(problem.errors!.map((error) => error.path)).toEqual(paths);
    expect(JSON.stringify(problem)).not.toContain(validKey);
    expect(aws.ddb.calls()).toHaveLength(0);
  });

  it('400 for a missing body, 415 for one that is not JSON', async () => {
    expectProblem(await handler(adminEvent({ method: 'POST', resource: '/verify' })), 400);
    const text = adminEvent({ method: 'POST', resource: '/verify', body: 'key', headers: { 'Content-Type': 'text/plain' } });
    expectProblem(await handler(text), 415);
  });
});

describe('POST /verify metrics, counted in memory and published at most once a second (DESIGN §15)', () => {
  // The metrics' clock only (Date.now), moved by hand and never back.
  let now = Date.now();
  let clock: jest.SpyInstance<number, []>;
  beforeEach(async () => {
    // A first call a while after the last line writes what earlier tests left.
    now += 60_000;
    clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    await verify({ key: '' });
    output.restore();
    output = captureOutput();
  });
  afterEach(() => clock.mockRestore());

  it.each([
    ['VerifyAllowed', { key: validKey, scope: 'orders:read' }, true],
    ['VerifyInsufficientScope', { key: validKey, scope: 'billing:read' }, true],
    ['VerifyUnknown', { key: unknownKey }, true],
    ['VerifyUnknown', { key: pendingKey }, true],
    ['VerifyDisabled', { key: disabledKey }, true],
    ['VerifyExpired', { key: expiredKey }, true],
    ['VerifyMalformed', { key: 'ak_not_a_real_key' }, false],
    ['VerifyMissing', { key: '' }, false],
  ])('%s: counted under its own name, in the namespace, dimension service only', async (name, body, reads) => {
    now += 1_000;
    await verify(body);
    const lines = emfLines(output);
    expect(lines).toHaveLength(1);
    expect(emfProblems(lines[0])).toEqual([]);
    expect(lines[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['service']] });
    expect(emittedMetrics(output)).toEqual([
      { name, unit: 'Count' },
      ...(reads ? [{ name: 'VerifyLookupLatency', unit: 'Milliseconds' }] : []),
    ]);
    expect(countIn(lines[0], name)).toBe(1);
    expect(JSON.stringify(lines[0])).not.toMatch(/acme|key_/);
  });

  it('writes nothing within the second, then one line with every outcome since', async () => {
    await verify({ key: validKey });
    await verify({ key: 'ak_not_a_real_key' });
    await verify({ key: unknownKey });
    expect(output.text()).toBe('');
    now += 1_000;
    await verify({ key: validKey, scope: 'billing:read' });
    const [line] = emfLines(output);
    expect({
      allowed: countIn(line, 'VerifyAllowed'),
      malformed: countIn(line, 'VerifyMalformed'),
      unknown: countIn(line, 'VerifyUnknown'),
      insufficientScope: countIn(line, 'VerifyInsufficientScope'),
    }).toEqual({ allowed: 1, malformed: 1, unknown: 1, insufficientScope: 1 });
  });

  it('VerifyStoreError at once when the table cannot be read, and still 503', async () => {
    aws.ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException', 'slow down'));
    expectProblem(await verify({ key: validKey }), 503);
    expect(emittedMetrics(output).map((metric) => metric.name)).toEqual(['VerifyStoreError', 'VerifyLookupLatency']);
  });

  it('nothing for a request refused before verification (400)', async () => {
    await verify({ key: 42 });
    now += 1_000;
    await verify({ key: '' });
    expect(emittedMetrics(output).map((metric) => metric.name)).toEqual(['VerifyMissing']);
  });
});
