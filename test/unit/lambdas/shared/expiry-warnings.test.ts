import '../../../fixtures/handler-env';
import { expiryWarningsFromEnvironment } from '../../../../lambdas/shared/expiry-warnings';
import {
  awsError,
  EXPIRY_WARNING_QUEUE_ARN,
  FLUSH_DEAD_LETTER_QUEUE_ARN,
  FLUSH_SCHEDULE_GROUP,
  FLUSH_SCHEDULE_ROLE_ARN,
  mockAws,
} from '../../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../../fixtures/capture-output';

const aws = mockAws();
let output: CapturedOutput;
const key = { tenantId: 'acme', keyId: 'key_01JD5Z0000000000000000000W' };
const EXPIRES_AT = '2030-01-08T00:00:00.000Z';

beforeEach(() => {
  aws.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

describe('expiry warnings in AWS', () => {
  it('warn the window the construct set before an expiry', () => {
    expect(expiryWarningsFromEnvironment().windowSeconds).toBe(604_800);
  });

  it("schedule one warning per key, on the whole second, that puts the key and its expiry on the warnings' queue", async () => {
    await expiryWarningsFromEnvironment().schedule.warnAt(key, EXPIRES_AT, '2030-01-01T00:00:00.400Z');
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(
      expect.objectContaining({
        Name: `warn-${key.keyId}`,
        GroupName: FLUSH_SCHEDULE_GROUP,
        ScheduleExpression: 'at(2030-01-01T00:00:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: expect.objectContaining({
          Arn: EXPIRY_WARNING_QUEUE_ARN,
          RoleArn: FLUSH_SCHEDULE_ROLE_ARN,
          Input: JSON.stringify({ tenantId: 'acme', keyId: key.keyId, expiresAt: EXPIRES_AT }),
          DeadLetterConfig: { Arn: FLUSH_DEAD_LETTER_QUEUE_ARN },
        }),
      }),
    );
  });

  it('schedule with the settings it started with, the credentials included, whatever the environment holds later', async () => {
    const env = { ...process.env };
    const warnings = expiryWarningsFromEnvironment(env);
    // Local mode's functions hold their credentials only while they load.
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    await expect(warnings.schedule.warnAt(key, EXPIRES_AT, '2030-01-01T00:00:00.000Z')).resolves.toBeUndefined();
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(expect.objectContaining({ Name: `warn-${key.keyId}` }));
  });

  it('move the key’s warning when it has one already', async () => {
    aws.flush.on('CreateSchedule').rejects(awsError('ConflictException', 'exists', 409));
    await expiryWarningsFromEnvironment().schedule.warnAt(key, EXPIRES_AT, '2030-01-01T00:00:00.000Z');
    expect(aws.flush.inputs('UpdateSchedule')).toContainEqual(expect.objectContaining({ Name: `warn-${key.keyId}` }));
  });

  it('log a schedule that cannot be made, and fail nothing: the change is written already', async () => {
    aws.flush.on('CreateSchedule').rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(
      expiryWarningsFromEnvironment().schedule.warnAt(key, EXPIRES_AT, '2030-01-01T00:00:00.000Z'),
    ).resolves.toBeUndefined();
    expect(output.text()).toContain('Expiry warning could not be scheduled');
    expect(output.text()).toContain('ThrottlingException');
  });

  it('refuse, in a function not granted them, once a change would warn: a wiring bug is never swallowed', async () => {
    const ungranted = expiryWarningsFromEnvironment({ ...process.env, EXPIRY_WARNING_QUEUE_ARN: undefined });
    expect(() => ungranted.windowSeconds).toThrow(/may not warn of expiries/);
    await expect(ungranted.schedule.warnAt(key, EXPIRES_AT, '2030-01-01T00:00:00.000Z')).rejects.toThrow(
      /EXPIRY_WARNING_QUEUE_ARN/,
    );
    expect(aws.flush.calls('CreateSchedule')).toHaveLength(0);
  });
});
