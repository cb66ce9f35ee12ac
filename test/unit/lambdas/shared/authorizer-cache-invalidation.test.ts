import '../../../fixtures/handler-env';
import { FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { ConflictException, CreateScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { authorizerCacheInvalidation } from '../../../../lambdas/shared/authorizer-cache-invalidation';
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
    expect(aws.ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, { Path: FLUSH_TARGETS_PATH, Recursive: true });
    expect(aws.apigw).toHaveReceivedCommandWith(FlushStageAuthorizersCacheCommand, { restApiId: 'abc123', stageName: 'v1' });
    expect(aws.sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: FLUSH_QUEUE_URL,
      DelaySeconds: 6,
      MessageBody: expect.stringContaining('"followUp":true'),
    });
  });

  it('reads the registry of stages once, and after five minutes again, for the next flush, not before this one', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-11-26T12:00:00.000Z'));
    try {
      const flushing = invalidation();
      await flushing.flushNow();
      now.mockReturnValue(Date.parse('2026-11-26T12:04:59.999Z'));
      await flushing.flushNow();
      expect(aws.ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 1);
      expect(aws.apigw).toHaveReceivedCommandTimes(FlushStageAuthorizersCacheCommand, 2);
      // A stage registered since: this flush goes to the stages known, and the list is read again meanwhile.
      aws.ssm.on(GetParametersByPathCommand).resolves({
        Parameters: ['abc123', 'def456'].map((apiId) => ({
          Name: `${FLUSH_TARGETS_PATH}/${apiId}`,
          Value: JSON.stringify({ kind: 'rest', apiId, stageName: 'v1' }),
        })),
      });
      now.mockReturnValue(Date.parse('2026-11-26T12:05:00.000Z'));
      await flushing.flushNow();
      expect(aws.ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
      expect(aws.apigw).toHaveReceivedCommandTimes(FlushStageAuthorizersCacheCommand, 3);
      await flushing.flushNow();
      expect(aws.apigw).toHaveReceivedCommandWith(FlushStageAuthorizersCacheCommand, { restApiId: 'def456', stageName: 'v1' });
      expect(aws.ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
    } finally {
      now.mockRestore();
    }
  });

  it('a failed flush is logged, never thrown: the revocation is written and the follow-up retries it', async () => {
    aws.apigw
      .on(FlushStageAuthorizersCacheCommand)
      .rejects(Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' }));
    await expect(invalidation().flushNow()).resolves.toBeUndefined();
    expect(output.text()).toContain('TooManyRequestsException');
    expect(output.text()).not.toContain('Too Many Requests');
    expect(aws.sqs).toHaveReceivedCommand(SendMessageCommand);
  });

  it('says so at error level when neither the flush nor its follow-up worked', async () => {
    aws.apigw.on(FlushStageAuthorizersCacheCommand).rejects(Object.assign(new Error('x'), { name: 'TooManyRequestsException' }));
    aws.sqs.on(SendMessageCommand).rejects(Object.assign(new Error('x'), { name: 'QueueDoesNotExist' }));
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
    expect(aws.apigw).not.toHaveReceivedAnyCommand();
    expect(aws.ssm).not.toHaveReceivedAnyCommand();
  });
});

describe('flushAt', () => {
  it('rounds up to the whole second after the moment plus a second', async () => {
    await invalidation().flushAt('key_X', '2026-11-26T12:30:00.001Z');
    expect(aws.scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: 'flush-key_X',
      ScheduleExpression: 'at(2026-11-26T12:30:02)',
    });
  });

  it('puts a flush on the queue when it runs, dead-lettered when it cannot', async () => {
    await invalidation().flushAt('key_X', '2026-11-26T13:00:00Z');
    expect(aws.scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Target: {
        Arn: FLUSH_QUEUE_ARN,
        RoleArn: FLUSH_SCHEDULE_ROLE_ARN,
        Input: JSON.stringify({ requestedAt: '2026-11-26T13:00:01.000Z', followUp: false }),
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: FLUSH_DEAD_LETTER_QUEUE_ARN },
      },
    });
  });

  it('without the grant that names the schedule group, throws MissingGrantError and calls nothing', async () => {
    const { FLUSH_SCHEDULE_GROUP: _, ...ungranted } = process.env;
    await expect(invalidation(ungranted).flushAt('key_X', '2026-11-26T13:00:00Z')).rejects.toMatchObject({
      name: 'MissingGrantError',
    });
    expect(aws.scheduler).not.toHaveReceivedAnyCommand();
  });

  it("moves the key's existing schedule instead of adding another, so there is one per key", async () => {
    aws.scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    await invalidation().flushAt('key_X', '2026-11-26T13:00:00Z');
    expect(aws.scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: 'flush-key_X',
      ScheduleExpression: 'at(2026-11-26T13:00:01)',
      ActionAfterCompletion: 'DELETE',
      Target: expect.objectContaining({ Arn: FLUSH_QUEUE_ARN }),
    });
    expect(output.text()).not.toContain('could not be scheduled');
  });

  it('any other failure is logged, never thrown', async () => {
    aws.scheduler.on(CreateScheduleCommand).rejects(new Error('socket hang up'));
    await expect(invalidation().flushAt('key_X', '2026-11-26T13:00:00Z')).resolves.toBeUndefined();
    expect(output.text()).toContain('could not be scheduled');
    expect(aws.scheduler).not.toHaveReceivedCommand(UpdateScheduleCommand);
  });
});
