import '../../../fixtures/handler-env';
import { authorizerCacheInvalidation } from '../../../../lambdas/shared/authorizer-cache-invalidation';
import { AwsCallError } from '../../../../src/aws/small-aws-client';
import {
  FLUSH_DEAD_LETTER_QUEUE_ARN,
  FLUSH_QUEUE_ARN,
  FLUSH_QUEUE_URL,
  FLUSH_SCHEDULE_ROLE_ARN,
  FLUSH_TARGETS_PATH,
  mockAws,
} from '../../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../../fixtures/capture-output';

const aws = mockAws();
let output: CapturedOutput;
const invalidation = (env: NodeJS.ProcessEnv = process.env) => authorizerCacheInvalidation(env);

beforeEach(() => {
  aws.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

describe('flushNow', () => {
  it('flushes every registered stage, then queues the follow-up 6 s later', async () => {
    await invalidation().flushNow();
    expect(aws.flush.inputs('GetParametersByPath')).toContainEqual(
      expect.objectContaining({ Path: FLUSH_TARGETS_PATH, Recursive: true }),
    );
    expect(aws.flush.inputs('FlushStageAuthorizersCache')).toContainEqual({ restApiId: 'abc123', stageName: 'v1' });
    expect(aws.flush.inputs('SendMessage')).toContainEqual(
      expect.objectContaining({
        QueueUrl: FLUSH_QUEUE_URL,
        DelaySeconds: 6,
        MessageBody: expect.stringContaining('"followUp":true'),
      }),
    );
  });

  it('reads the registry of stages once, and after five minutes again, for the next flush, not before this one', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-11-26T12:00:00.000Z'));
    try {
      const flushing = invalidation();
      await flushing.flushNow();
      now.mockReturnValue(Date.parse('2026-11-26T12:04:59.999Z'));
      await flushing.flushNow();
      expect(aws.flush.calls('GetParametersByPath')).toHaveLength(1);
      expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(2);
      // A stage registered since: this flush goes to the stages known, and the list is read again meanwhile.
      aws.flush.on('GetParametersByPath').resolves({
        Parameters: ['abc123', 'def456'].map((apiId) => ({
          Name: `${FLUSH_TARGETS_PATH}/${apiId}`,
          Value: JSON.stringify({ kind: 'rest', apiId, stageName: 'v1' }),
        })),
      });
      now.mockReturnValue(Date.parse('2026-11-26T12:05:00.000Z'));
      await flushing.flushNow();
      expect(aws.flush.calls('GetParametersByPath')).toHaveLength(2);
      expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(3);
      await flushing.flushNow();
      expect(aws.flush.inputs('FlushStageAuthorizersCache')).toContainEqual({ restApiId: 'def456', stageName: 'v1' });
      expect(aws.flush.calls('GetParametersByPath')).toHaveLength(2);
    } finally {
      now.mockRestore();
    }
  });

  it('a failed flush is logged, never thrown: the revocation is written and the follow-up retries it', async () => {
    aws.flush.on('FlushStageAuthorizersCache').rejects(new AwsCallError('TooManyRequestsException', 'Too Many Requests'));
    await expect(invalidation().flushNow()).resolves.toBeUndefined();
    expect(output.text()).toContain('TooManyRequestsException');
    expect(output.text()).not.toContain('Too Many Requests');
    expect(aws.flush.calls('SendMessage')).toHaveLength(1);
  });

  it('says so at error level when neither the flush nor its follow-up worked', async () => {
    aws.flush.on('FlushStageAuthorizersCache').rejects(new AwsCallError('TooManyRequestsException', 'x'));
    aws.flush.on('SendMessage').rejects(new AwsCallError('QueueDoesNotExist', 'x'));
    await expect(invalidation().flushNow()).resolves.toBeUndefined();
    const lines = output.lines().filter((line) => line.message === 'Authorizer cache flush failed');
    expect(lines.map((line) => [line.level, line.error])).toEqual([
      ['ERROR', 'TooManyRequestsException'],
      ['ERROR', 'QueueDoesNotExist'],
    ]);
  });

  it('without the grant that names the registry, throws MissingGrantError and calls nothing', async () => {
    const { FLUSH_TARGETS_PATH: _, ...ungranted } = process.env;
    await expect(invalidation(ungranted).flushNow()).rejects.toMatchObject({ name: 'MissingGrantError' });
    expect(aws.flush.calls()).toEqual([]);
  });
});

describe('flushAt', () => {
  it('rounds up to the whole second after the moment plus a second', async () => {
    await invalidation().flushAt('key_X', '2026-11-26T12:30:00.001Z');
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(
      expect.objectContaining({ Name: 'flush-key_X', ScheduleExpression: 'at(2026-11-26T12:30:02)' }),
    );
  });

  it('puts a flush on the queue when it runs, dead-lettered when it cannot', async () => {
    await invalidation().flushAt('key_X', '2026-11-26T13:00:00Z');
    expect(aws.flush.inputs('CreateSchedule')).toContainEqual(
      expect.objectContaining({
        Target: {
          Arn: FLUSH_QUEUE_ARN,
          RoleArn: FLUSH_SCHEDULE_ROLE_ARN,
          Input: JSON.stringify({ requestedAt: '2026-11-26T13:00:01.000Z', followUp: false }),
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: FLUSH_DEAD_LETTER_QUEUE_ARN },
        },
      }),
    );
  });

  it('without the grant that names the schedule group, throws MissingGrantError and calls nothing', async () => {
    const { FLUSH_SCHEDULE_GROUP: _, ...ungranted } = process.env;
    await expect(invalidation(ungranted).flushAt('key_X', '2026-11-26T13:00:00Z')).rejects.toMatchObject({
      name: 'MissingGrantError',
    });
    expect(aws.flush.calls()).toEqual([]);
  });

  it("moves the key's existing schedule instead of adding another, so there is one per key", async () => {
    aws.flush.on('CreateSchedule').rejects(new AwsCallError('ConflictException', 'exists'));
    await invalidation().flushAt('key_X', '2026-11-26T13:00:00Z');
    expect(aws.flush.inputs('UpdateSchedule')).toContainEqual(
      expect.objectContaining({
        Name: 'flush-key_X',
        ScheduleExpression: 'at(2026-11-26T13:00:01)',
        ActionAfterCompletion: 'DELETE',
        Target: expect.objectContaining({ Arn: FLUSH_QUEUE_ARN }),
      }),
    );
    expect(output.text()).not.toContain('could not be scheduled');
  });

  it('any other failure is logged, never thrown', async () => {
    aws.flush.on('CreateSchedule').rejects(new AwsCallError('Error', 'socket hang up'));
    await expect(invalidation().flushAt('key_X', '2026-11-26T13:00:00Z')).resolves.toBeUndefined();
    expect(output.text()).toContain('could not be scheduled');
    expect(aws.flush.calls('UpdateSchedule')).toEqual([]);
  });
});
