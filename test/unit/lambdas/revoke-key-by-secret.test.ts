import '../../fixtures/handler-env';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/revoke-key-by-secret';
import { awsError, FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { proxyEvent } from '../../fixtures/events';
import { keyRecord, testKey } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
const leaked = testKey();
const record = keyRecord({ key: leaked, tenantId: 'acme' });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [record]);
  output = captureOutput();
});
afterEach(() => output.restore());

/** POST /revoke as anyone sends it: no credentials at all. */
const revoke = (body: unknown, headers: Record<string, string> = {}) =>
  proxyEvent({ method: 'POST', resource: '/revoke', body, headers });

describe('POST /revoke', () => {
  it('202, revokes a live key as its holder (from where), flushes, and says nothing of the key', async () => {
    const accepted = await handler(revoke({ key: leaked }));
    expect(expectJson(accepted, 202)).toEqual({
      status: 'accepted',
      detail: 'If this is a key of this service, it is revoked: it no longer works anywhere, for good.',
    });
    expect(table.get(record.keyHash)).toMatchObject({
      enabled: false,
      revokedReason: 'leaked',
      auditRecords: [expect.objectContaining({ actor: { type: 'holder' }, sourceIp: '203.0.113.7' })],
    });
    expect(aws.flush.calls('FlushStageAuthorizersCache')).not.toHaveLength(0);
    expect(accepted.body).not.toContain(record.keyId);
  });

  it('202 with the same body for an unknown key and for one revoked already: one read each, no write', async () => {
    const first = await handler(revoke({ key: leaked }));
    aws.ddb.resetHistory();
    for (const key of [testKey(), leaked]) {
      const again = await handler(revoke({ key }));
      expect({ status: again.statusCode, body: again.body }).toEqual({ status: 202, body: first.body });
    }
    expect(aws.ddb).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(aws.ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('400 for a key whose format or checksum is wrong, before any read', async () => {
    const wrongChecksum = `${leaked.slice(0, -1)}${leaked.endsWith('0') ? '1' : '0'}`;
    for (const body of [{ key: wrongChecksum }, { key: 'ak_x' }, { key: leaked, scope: 'x' }, {}]) {
      expectProblem(await handler(revoke(body)), 400, { errors: true });
    }
    expect(aws.ddb.calls()).toHaveLength(0);
  });

  it('413 past 10 KiB and 415 for a body that is not JSON, before any read', async () => {
    expectProblem(await handler(revoke({ key: leaked, pad: 'x'.repeat(11_000) })), 413);
    expectProblem(await handler(revoke({ key: leaked }, { 'Content-Type': 'text/plain' })), 415);
    expect(aws.ddb.calls()).toHaveLength(0);
  });

  it('503 with Retry-After when the key cannot be read', async () => {
    aws.ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Throughput exceeded'));
    const result = await handler(revoke({ key: leaked }));
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBeDefined();
  });
});
