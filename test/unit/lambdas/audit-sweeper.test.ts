import '../../fixtures/handler-env';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/audit-sweeper';
import type { AuditRecord } from '../../../src/domain/audit';
import { awsError, FakeTable, mockAws, TENANT_TABLE_NAME } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { keyRecord } from '../../fixtures/keys';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;

const record = (keyId: string, action: AuditRecord['action']): AuditRecord => ({
  id: `aud_${keyId.slice(4)}`,
  tenantId: 'acme',
  at: '2026-01-01T00:00:00.000Z',
  actor: { type: 'iam', arn: 'arn:aws:iam::123456789012:role/back-office' },
  action,
  keyId,
  changes: {},
  requestId: 'r-1',
  sourceIp: '192.0.2.1',
});
const changed = keyRecord();
const deleted = keyRecord({ deleted: true });
Object.assign(changed, { audit: record(changed.keyId, 'key.updated'), auditPending: '2026-01-01T00:00:00.000Z' });
Object.assign(deleted, { audit: record(deleted.keyId, 'key.deleted'), auditPending: '2026-01-01T00:00:00.000Z' });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [changed, deleted]);
  aws.ddb.on(ScanCommand).resolves({ Items: [changed, deleted].map(({ keyHash, auditPending }) => ({ keyHash, auditPending })) });
  output = captureOutput();
});
afterEach(() => output.restore());

it('delivers every stranded record: into the trail, out as an event, then out of its key (a deleted key with it)', async () => {
  await expect(handler()).resolves.toEqual({ delivered: 2, failed: 0 });
  const appended = aws.ddb.commandCalls(PutCommand).map((call) => call.args[0].input);
  expect(appended.map((input) => [input.TableName, input.Item?.action])).toEqual([
    [TENANT_TABLE_NAME, 'key.updated'],
    [TENANT_TABLE_NAME, 'key.deleted'],
  ]);
  expect(aws.events.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.[0].DetailType)).toEqual([
    'key.updated',
    'key.deleted',
  ]);
  expect(table.get(changed.keyHash)).not.toHaveProperty('audit');
  expect(table.get(changed.keyHash)).not.toHaveProperty('auditPending');
  expect(table.get(deleted.keyHash)).toBeUndefined();
  expect(aws.ddb.commandCalls(ScanCommand)[0].args[0].input).toMatchObject({ IndexName: 'pendingAudit' });
});

it('leaves a record whose event was refused in its key, for the next sweep, and says so', async () => {
  aws.events
    .on(PutEventsCommand)
    .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] })
    .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
  await expect(handler()).resolves.toEqual({ delivered: 1, failed: 1 });
  expect(table.get(changed.keyHash)).toHaveProperty('audit');
  expect(output.text()).toContain('Some audit records are still pending');
  await expect(handler()).resolves.toEqual({ delivered: 1, failed: 0 });
  expect(table.get(changed.keyHash)).not.toHaveProperty('audit');
});

it('fails, and logs it, when the index cannot be read: the next sweep retries', async () => {
  aws.ddb.on(ScanCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
  await expect(handler()).rejects.toMatchObject({ kind: 'storeUnavailable' });
  expect(output.text()).toContain('The audit sweep failed');
});
