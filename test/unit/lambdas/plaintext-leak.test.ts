/**
 * The plaintext key is returned once and otherwise never leaves the process:
 * not in logs (stdout, stderr, console), not in the stored item, not in later responses.
 */
import '../../fixtures/debug-logging';
import '../../fixtures/handler-env';
import '../../fixtures/sdk-key-reads';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { awsError, FakeTable, mockAws, preparedTenant, TABLE_NAME, TENANT_TABLE_NAME } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, authorizerEvent, dynamoDbStreamEvent, selfServiceEvent } from '../../fixtures/events';
import { keyRecord, sha256Hex, testKey } from '../../fixtures/keys';

// The module object itself, so spying on generateKey reveals what the service issued.
import keyFormat = require('../../../src/domain/key-format');

import { handler as authorize } from '../../../lambdas/authorizer';
import { handler as createKey } from '../../../lambdas/create-key';
import { handler as deleteKey } from '../../../lambdas/delete-key';
import { handler as deliverAudit } from '../../../lambdas/deliver-audit';
import { handler as getKey } from '../../../lambdas/get-key';
import { handler as listKeys } from '../../../lambdas/list-keys';
import { handler as rotateKey } from '../../../lambdas/rotate-key';
import { handler as updateKey } from '../../../lambdas/update-key';
import { handler as verifyKey } from '../../../lambdas/verify-key';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
let generated: jest.SpyInstance<string, [prefix?: string]>;

/** The caller's own key on self-service routes; it arrives in X-Api-Key and must not leak either. */
const callerKey = testKey();
const caller = keyRecord({ key: callerKey, tenantId: 'acme', scopes: ['keys:manage', 'orders:read'] });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [caller], undefined, { tableName: TABLE_NAME });
  new FakeTable(aws.ddb, [preparedTenant('acme')], undefined, {
    tableName: TENANT_TABLE_NAME,
    keyAttributes: ['tenantId', 'sk'],
  });
  output = captureOutput();
  generated = jest.spyOn(keyFormat, 'generateKey');
});
afterEach(() => {
  output.restore();
  generated.mockRestore();
});

/** Every plaintext the service generated during this test. */
const issuedKeys = (): string[] => generated.mock.results.filter((r) => r.type === 'return').map((r) => r.value as string);

/** The parts of a key that must never appear on their own: the whole key and its 32-character random part. */
function secretsOf(key: string): string[] {
  const random = key.slice(key.length - 38, key.length - 6);
  return [key, random];
}

function expectNoLeak(keys: string[], ...also: (string | undefined)[]) {
  expect(keys.length).toBeGreaterThan(0);
  const haystacks = [output.text(), ...also.filter((s): s is string => s !== undefined)];
  for (const key of keys) {
    for (const secret of secretsOf(key)) {
      for (const haystack of haystacks) expect(haystack).not.toContain(secret);
    }
  }
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return value === undefined || value === null ? [] : [String(value)];
}

function expectStoredSafely(key: string) {
  const puts = aws.ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item!);
  const item = puts.find((candidate) => candidate.keyHash === sha256Hex(key));
  expect(item).toBeDefined();
  for (const value of strings(item)) {
    for (const secret of secretsOf(key)) expect(value).not.toContain(secret);
  }
  for (const put of puts) for (const value of strings(put)) expect(value).not.toContain(key);
}

const adminCreate = (body: unknown) =>
  adminEvent({ method: 'POST', resource: '/tenants/{tenantId}/keys', pathParameters: { tenantId: 'acme' }, body });
const selfService = (
  method: 'GET' | 'POST',
  resource: string,
  pathParameters?: Record<string, string>,
  body?: unknown,
): APIGatewayProxyEvent =>
  selfServiceEvent({
    method,
    resource,
    pathParameters,
    body,
    apiKey: callerKey,
    authorizer: { tenantId: 'acme', keyId: caller.keyId, keyName: caller.name, scopes: caller.scopes.join(' ') },
  });

function bodyOf(result: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}

describe('the plaintext never leaks', () => {
  it('capture works: the Powertools logger output is seen, at debug level', async () => {
    aws.ddb.on(PutCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await createKey(adminCreate({ name: 'n' }));
    expect(output.text()).toContain('Key store unavailable');
    const { logger } = await import('../../../lambdas/shared/logger');
    logger.debug('debug probe');
    expect(output.text()).toContain('debug probe');
  });

  it('create: returned once; logs and the stored item hold only its hash', async () => {
    const result = await createKey(adminCreate({ name: 'CI pipeline', scopes: ['orders:read'] }));
    expect(result.statusCode).toBe(201);
    const key = bodyOf(result).key as string;
    expect(issuedKeys()).toEqual([key]);
    expectStoredSafely(key);
    expect(aws.ddb.commandCalls(PutCommand)[0].args[0].input.Item!.keyHash).toBe(sha256Hex(key));
    expectNoLeak([key]);
  });

  it('self-service create: neither the new key nor the caller’s key', async () => {
    const result = await createKey(selfService('POST', '/keys', undefined, { name: 'Worker', scopes: ['orders:read'] }));
    expect(result.statusCode).toBe(201);
    const key = bodyOf(result).key as string;
    expectStoredSafely(key);
    expectNoLeak([key, callerKey]);
  });

  it('list and get never show the plaintext again', async () => {
    const key = bodyOf(await createKey(adminCreate({ name: 'n' }))).key as string;
    const id = bodyOf(await createKey(adminCreate({ name: 'other' }))).id as string;
    const admin = await listKeys(
      adminEvent({ method: 'GET', resource: '/tenants/{tenantId}/keys', pathParameters: { tenantId: 'acme' } }),
    );
    const self = await listKeys(selfService('GET', '/keys'));
    const one = await getKey(selfService('GET', '/keys/{keyId}', { keyId: id }));
    expect([admin.statusCode, self.statusCode, one.statusCode]).toEqual([200, 200, 200]);
    expectNoLeak(issuedKeys(), admin.body, self.body, one.body);
    expectNoLeak([callerKey], admin.body, self.body, one.body);
    expect(key).toBe(issuedKeys()[0]);
  });

  it('rotate: the new key is returned once and never logged or stored', async () => {
    const result = await rotateKey(
      selfService('POST', '/keys/{keyId}/rotate', { keyId: caller.keyId }, { gracePeriodSeconds: 60 }),
    );
    expect(result.statusCode).toBe(201);
    const key = bodyOf(result).key as string;
    expectStoredSafely(key);
    expectNoLeak([key, callerKey]);
    expect(strings(aws.ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input)).join('\n')).not.toContain(key);
  });

  it('audit records and their events hold neither a key nor its hash, through a whole lifecycle', async () => {
    const created = bodyOf(await createKey(adminCreate({ name: 'audited', scopes: ['orders:read'] })));
    const path = { tenantId: 'acme', keyId: created.id as string };
    const patch = adminEvent({
      method: 'PATCH',
      resource: '/tenants/{tenantId}/keys/{keyId}',
      pathParameters: path,
      body: { scopes: [] },
    });
    expect((await updateKey(patch)).statusCode).toBe(200);
    const rotated = bodyOf(
      await rotateKey(
        adminEvent({ method: 'POST', resource: '/tenants/{tenantId}/keys/{keyId}/rotate', pathParameters: path, body: {} }),
      ),
    );
    const remove = adminEvent({
      method: 'DELETE',
      resource: '/tenants/{tenantId}/keys/{keyId}',
      pathParameters: { tenantId: 'acme', keyId: rotated.id as string },
    });
    expect((await deleteKey(remove)).statusCode).toBe(204);
    const waiting = [...table.items.values()].flatMap((item) => (item.auditRecords as object[] | undefined) ?? []);
    // The delivery function, as the key table's stream feeds it: every item that holds records.
    const items = [...table.items.values()].filter((item) => item.auditRecords);
    await deliverAudit(dynamoDbStreamEvent(items.map((item) => ({ table: TABLE_NAME, newImage: item }))));

    const records = aws.ddb
      .commandCalls(PutCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.TableName === TENANT_TABLE_NAME)
      .map((input) => input.Item);
    const events = aws.events.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(records.map((record) => record?.action)).toEqual(['key.created', 'key.updated', 'key.rotated', 'key.deleted']);
    expect(events).toHaveLength(4);
    const text = JSON.stringify({ records, events, waiting });
    for (const key of [created.key as string, rotated.key as string, callerKey]) {
      for (const secret of [...secretsOf(key), sha256Hex(key)]) expect(text).not.toContain(secret);
    }
  });

  it('a failing create logs the failure, not the key it was about to issue', async () => {
    aws.ddb.on(PutCommand).rejects(awsError('ValidationException', 'One or more parameter values were invalid'));
    const result = await createKey(adminCreate({ name: 'n' }));
    expect(result.statusCode).toBe(503);
    expect(output.text()).toContain('Key store failed');
    expectNoLeak(issuedKeys(), result.body);
  });

  it('a 503 on create logs the failure, not the key it was about to issue', async () => {
    aws.ddb.on(PutCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    const result = await createKey(selfService('POST', '/keys', undefined, { name: 'n' }));
    expect(result.statusCode).toBe(503);
    expectNoLeak([...issuedKeys(), callerKey], result.body);
  });

  it('a rotate that fails after writing the new key leaks nothing', async () => {
    aws.ddb.on(UpdateCommand, { TableName: TABLE_NAME }).rejects(new Error('socket hang up'));
    aws.flush.on('FlushStageAuthorizersCache').rejects(new Error('flush failed'));
    const result = await rotateKey(selfService('POST', '/keys/{keyId}/rotate', { keyId: caller.keyId }, {}));
    expect(result.statusCode).toBe(503);
    expect(issuedKeys()).toHaveLength(1);
    expectNoLeak([...issuedKeys(), callerKey], result.body);
  });

  it('authorizer: allowed, rejected, failing and write-failing calls do not log the presented key', async () => {
    const unknown = testKey();
    const badChecksum = callerKey.slice(0, -1) + (callerKey.endsWith('A') ? 'B' : 'A');

    const allowed = await authorize(authorizerEvent({ apiKey: callerKey }));
    expect(JSON.stringify(allowed)).not.toContain(callerKey);
    await expect(authorize(authorizerEvent({ apiKey: unknown }))).rejects.toThrow('Unauthorized');
    await expect(authorize(authorizerEvent({ apiKey: badChecksum }))).rejects.toThrow('Unauthorized');

    aws.ddb.on(UpdateCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    table.get(caller.keyHash)!.lastUsedAt = '2000-01-01T00:00:00.000Z';
    await expect(authorize(authorizerEvent({ apiKey: callerKey }))).resolves.toBeDefined();

    aws.ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    const failed = await authorize(authorizerEvent({ apiKey: callerKey })).catch((error: Error) => error);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).not.toContain(callerKey);

    expect(output.text()).toContain('Key lookup failed');
    expectNoLeak([callerKey, unknown, badChecksum]);
  });

  it('POST /verify: valid, refused, invalid-body, write-failing and failing calls neither log nor echo the key', async () => {
    const verify = (body: unknown) => verifyKey(adminEvent({ method: 'POST', resource: '/verify', body }));
    const unknown = testKey();
    const answers = [
      await verify({ key: callerKey }),
      await verify({ key: callerKey, scope: 'billing:read' }),
      await verify({ key: unknown }),
      await verify({ key: callerKey, colour: 'red' }),
    ];
    aws.ddb.on(UpdateCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    table.get(caller.keyHash)!.lastUsedAt = '2000-01-01T00:00:00.000Z';
    answers.push(await verify({ key: callerKey }));
    aws.ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    answers.push(await verify({ key: callerKey }));
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 400, 200, 503]);
    expect(output.text()).toContain('Could not record key use');
    expectNoLeak([callerKey, unknown], ...answers.map((answer) => answer.body));
  });

  it('a 503 on list (self-service) does not log the caller’s key', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('InternalServerError', 'Internal server error', 500));
    const result = await listKeys(selfService('GET', '/keys'));
    expect(result.statusCode).toBe(503);
    expectNoLeak([callerKey], result.body);
  });
});
