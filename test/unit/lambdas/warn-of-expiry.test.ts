import '../../fixtures/handler-env';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/warn-of-expiry';
import { awsError, FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { keyRecord, testKeyId } from '../../fixtures/keys';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
/** Inside the deployed window (a week): the warning a schedule puts on the queue now is due. */
const EXPIRES_AT = new Date(Date.now() + 24 * 60 * 60_000).toISOString();
const expiring = keyRecord({ tenantId: 'acme', expiresAt: EXPIRES_AT });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [expiring]);
  output = captureOutput();
});
afterEach(() => output.restore());

/** What a key's schedule puts on the queue when its warning is due. */
const due = (messageId: string, fields: Record<string, string> = {}) => ({
  messageId,
  body: JSON.stringify({ tenantId: 'acme', keyId: expiring.keyId, expiresAt: EXPIRES_AT, ...fields }),
});
const batch = (...records: { messageId: string; body: string }[]) => handler({ Records: records } as never);

describe('the expiry warner', () => {
  it("writes the key's one key.expiring record, by the service, however often its warning is delivered", async () => {
    await expect(batch(due('m1'), due('m2'))).resolves.toEqual({ batchItemFailures: [] });
    await expect(batch(due('m3'))).resolves.toEqual({ batchItemFailures: [] });
    expect(table.get(expiring.keyHash)).toMatchObject({
      expiryWarnedFor: EXPIRES_AT,
      auditRecords: [
        expect.objectContaining({
          action: 'key.expiring',
          actor: { type: 'service' },
          changes: { expiresAt: { old: EXPIRES_AT, new: EXPIRES_AT } },
        }),
      ],
    });
  });

  it('writes nothing for a key that is gone, and drops what is not a warning', async () => {
    const result = await batch(
      due('gone', { keyId: testKeyId() }),
      { messageId: 'junk', body: '{"requestedAt":"2099-01-01T00:00:00Z","followUp":false}' },
      { messageId: 'not json', body: 'hello' },
    );
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(aws.flush.calls('CreateSchedule')).toHaveLength(0);
    expect(output.text()).toContain('Dropped a message that is not an expiry warning');
  });

  it('schedules again the warning of a key whose expiry is not the one its schedule was left on, and writes nothing yet', async () => {
    const later = keyRecord({ tenantId: 'acme', expiresAt: '2099-01-01T00:00:00.000Z' });
    table.put({ ...later });
    // A change to an older expiry wrote the key's schedule last.
    const result = await batch({
      messageId: 'stale',
      body: JSON.stringify({ tenantId: 'acme', keyId: later.keyId, expiresAt: EXPIRES_AT }),
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(
      expect.objectContaining({
        Name: `warn-${later.keyId}`,
        ScheduleExpression: 'at(2098-12-25T00:00:00)',
        Target: expect.objectContaining({
          Input: JSON.stringify({ tenantId: 'acme', keyId: later.keyId, expiresAt: '2099-01-01T00:00:00.000Z' }),
        }),
      }),
    );
  });

  it('hands a warning it could not write back to the queue, to be delivered again', async () => {
    aws.ddb.on(UpdateCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Throughput exceeded'));
    await expect(batch(due('m1'))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(output.text()).toContain('Expiry warning not written');
  });
});
