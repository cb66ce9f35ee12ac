import '../../fixtures/handler-env';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/audit-sweeper';
import { awsError, FakeTable, mockAws, TABLE_NAME, TENANT_TABLE_NAME } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { keyRecord, auditRecord as record } from '../../fixtures/keys';

const aws = mockAws();
let table: FakeTable;
let tenantTable: FakeTable;
let output: CapturedOutput;

const AT = '2026-01-01T00:00:00.000Z';
const changed = keyRecord({ auditRecords: [], auditPending: AT });
const deleted = keyRecord({ deleted: true, auditPending: AT });
changed.auditRecords = [record(changed.keyId, 'key.updated', 1)];
deleted.auditRecords = [record(deleted.keyId, 'key.deleted', 2)];
const tenant = {
  tenantId: 'acme',
  sk: 'tenant',
  createdAt: AT,
  auditRecords: [record(null, 'tenant.updated', 3)],
  auditPending: AT,
};

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [changed, deleted]);
  tenantTable = new FakeTable(aws.ddb, [tenant], undefined, { tableName: TENANT_TABLE_NAME, keyAttributes: ['tenantId', 'sk'] });
  aws.ddb
    .on(ScanCommand, { TableName: TABLE_NAME })
    .resolves({ Items: [changed, deleted].map(({ keyHash, auditPending }) => ({ keyHash, auditPending })) });
  aws.ddb
    .on(ScanCommand, { TableName: TENANT_TABLE_NAME })
    .resolves({ Items: [{ tenantId: 'acme', sk: 'tenant', auditPending: AT }] });
  output = captureOutput();
});
afterEach(() => output.restore());

it("delivers every stranded record, the tenants' too: into the trail, out as an event, then out of its item (a deleted key with it)", async () => {
  await expect(handler()).resolves.toEqual({ delivered: 3, withdrawn: 0, failed: 0 });
  const appended = aws.ddb
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.TableName === TENANT_TABLE_NAME);
  expect(appended.map((input) => input.Item?.action)).toEqual(['key.updated', 'key.deleted', 'tenant.updated']);
  expect(
    aws.events
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => entry.DetailType),
  ).toEqual(['key.updated', 'key.deleted', 'tenant.updated']);
  expect(table.get(changed.keyHash)).not.toHaveProperty('auditRecords');
  expect(table.get(changed.keyHash)).not.toHaveProperty('auditPending');
  expect(table.get(deleted.keyHash)).toBeUndefined();
  expect(tenantTable.get(`acme\u0000tenant`)).not.toHaveProperty('auditRecords');
  expect(aws.ddb.commandCalls(ScanCommand).map((call) => call.args[0].input.IndexName)).toEqual(['pendingAudit', 'pendingAudit']);
});

it('leaves a record whose event was refused in its item, for the next sweep, and says so', async () => {
  aws.events
    .on(PutEventsCommand)
    .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }, { EventId: 'e-1' }, { EventId: 'e-2' }] })
    .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
  await expect(handler()).resolves.toEqual({ delivered: 2, withdrawn: 0, failed: 1 });
  expect(table.get(changed.keyHash)).toHaveProperty('auditRecords');
  expect(output.text()).toContain('Some audit records are still waiting');
  await expect(handler()).resolves.toEqual({ delivered: 1, withdrawn: 0, failed: 0 });
  expect(table.get(changed.keyHash)).not.toHaveProperty('auditRecords');
});

it('fails, and logs it, when an index cannot be read: the next sweep retries', async () => {
  aws.ddb.on(ScanCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
  await expect(handler()).rejects.toMatchObject({ kind: 'storeUnavailable' });
  expect(output.text()).toContain('The audit sweep failed');
});
