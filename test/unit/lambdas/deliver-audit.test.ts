import '../../fixtures/handler-env';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/deliver-audit';
import { FakeTable, mockAws, TABLE_NAME, TENANT_TABLE_NAME } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { dynamoDbStreamEvent } from '../../fixtures/events';
import { keyRecord, auditRecord as record } from '../../fixtures/keys';

const aws = mockAws();
let keys: FakeTable;
let tenants: FakeTable;
let output: CapturedOutput;

const appended = () =>
  aws.ddb
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.TableName === TENANT_TABLE_NAME)
    .map((input) => input.Item?.id);
const published = () =>
  aws.events
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.Detail ?? '').id);

beforeEach(() => {
  aws.reset();
  keys = new FakeTable(aws.ddb, []);
  tenants = new FakeTable(aws.ddb, [], undefined, { tableName: TENANT_TABLE_NAME, keyAttributes: ['tenantId', 'sk'] });
  output = captureOutput();
});
afterEach(() => output.restore());

it('delivers the records each write added, in the order they were made, and takes them out of their items', async () => {
  const key = keyRecord({ tenantId: 'acme' });
  const [created, updated] = [record(key.keyId, 'key.created', 1), record(key.keyId, 'key.updated', 2)];
  const tenant = {
    tenantId: 'acme',
    sk: 'tenant',
    createdAt: created.at,
    auditRecords: [record(null, 'tenant.updated', 3)],
    auditPending: created.at,
  };
  const holding = { ...key, auditRecords: [created, updated], auditPending: created.at };
  keys.put(holding);
  tenants.put(tenant);
  const event = dynamoDbStreamEvent([
    { table: TENANT_TABLE_NAME, newImage: tenant, oldImage: { ...tenant, auditRecords: undefined } },
    { table: TABLE_NAME, newImage: { ...key, auditRecords: [created], auditPending: created.at } },
    { table: TABLE_NAME, newImage: holding, oldImage: { ...key, auditRecords: [created], auditPending: created.at } },
  ]);
  await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });
  expect(appended()).toEqual([created.id, updated.id, tenant.auditRecords[0].id]);
  expect(published()).toEqual(appended());
  expect(keys.get(key.keyHash)).not.toHaveProperty('auditRecords');
  expect(keys.get(key.keyHash)).not.toHaveProperty('auditPending');
  expect(tenants.get('acme\u0000tenant')).not.toHaveProperty('auditRecords');
});

it("holds a rotation's record while its replacement is pending, and delivers it once the replacement goes live, completing the request", async () => {
  const replacement = keyRecord({ tenantId: 'acme' });
  const rotated = record('key_01JD5Z0000000000000000OLD1', 'key.rotated', 4);
  const pending = {
    ...replacement,
    pending: true,
    auditRecords: [rotated],
    auditPending: rotated.at,
    idempotentRequest: 'req-digest',
  };
  const live = { ...pending, pending: undefined };
  keys.put(live);
  tenants.put({ tenantId: 'acme', sk: 'idempotency#req-digest', state: 'started', keyId: replacement.keyId });
  await expect(handler(dynamoDbStreamEvent([{ table: TABLE_NAME, newImage: pending }]))).resolves.toEqual({
    batchItemFailures: [],
  });
  expect(published()).toEqual([]);
  await handler(dynamoDbStreamEvent([{ table: TABLE_NAME, newImage: live, oldImage: pending }]));
  expect(published()).toEqual([rotated.id]);
  expect(tenants.get('acme\u0000idempotency#req-digest')).toMatchObject({ state: 'done' });
  expect(keys.get(replacement.keyHash)).not.toHaveProperty('idempotentRequest');
});

it('ignores the log and the idempotency records the tenant table also streams, and items gone', async () => {
  const logged = { ...record(null, 'tenant.updated', 5), sk: 'audit#x', ttl: 1 };
  const event = dynamoDbStreamEvent([
    { table: TENANT_TABLE_NAME, newImage: logged },
    { table: TENANT_TABLE_NAME, newImage: { tenantId: 'acme', sk: 'idempotency#x', state: 'done' } },
    { table: TABLE_NAME, oldImage: keyRecord() },
  ]);
  await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });
  expect(aws.ddb).not.toHaveReceivedAnyCommand();
});

it('reports a write whose records could not be delivered by its sequence number, and leaves them waiting', async () => {
  const key = keyRecord({ tenantId: 'acme' });
  const created = record(key.keyId, 'key.created', 6);
  const holding = { ...key, auditRecords: [created], auditPending: created.at };
  keys.put(holding);
  aws.events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
  const event = dynamoDbStreamEvent([{ table: TABLE_NAME, newImage: holding, sequenceNumber: '4711' }]);
  await expect(handler(event)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: '4711' }] });
  expect(keys.get(key.keyHash)).toMatchObject({ auditRecords: [created] });
  expect(output.text()).toContain('Audit records not delivered');
});

describe('a batch of many records', () => {
  /** Two keys whose records interleave in time: 12 records, more than one PutEvents call takes. */
  function twoBusyKeys() {
    const [first, second] = [keyRecord({ tenantId: 'acme' }), keyRecord({ tenantId: 'acme' })];
    const holding = [first, second].map((key, which) => {
      const waiting = Array.from({ length: 6 }, (_, index) => record(key.keyId, 'key.updated', 10 + index * 2 + which));
      return { ...key, auditRecords: waiting, auditPending: waiting[0].at };
    });
    for (const item of holding) keys.put(item);
    const inTime = holding.flatMap((item) => item.auditRecords).sort((a, b) => (a.at < b.at ? -1 : 1));
    return { holding, inTime, event: dynamoDbStreamEvent(holding.map((item) => ({ table: TABLE_NAME, newImage: item }))) };
  }

  it('publishes them ten to a call, in the order they were made', async () => {
    const { holding, inTime, event } = twoBusyKeys();
    await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });
    expect(aws.events.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(published()).toEqual(inTime.map((waiting) => waiting.id));
    for (const item of holding) expect(keys.get(item.keyHash)).not.toHaveProperty('auditRecords');
  });

  it('makes no further call once one fails, and leaves every item with a record not published waiting', async () => {
    const { holding, event } = twoBusyKeys();
    aws.events.on(PutEventsCommand).rejects(Object.assign(new Error('unreachable'), { name: 'InternalException' }));
    const failures = await handler(event);
    expect(failures.batchItemFailures).toHaveLength(2);
    expect(aws.events.commandCalls(PutEventsCommand)).toHaveLength(1);
    for (const item of holding) expect(keys.get(item.keyHash)).toMatchObject({ auditRecords: item.auditRecords });
  });
});
