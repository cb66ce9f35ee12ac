import '../../../fixtures/handler-env';
import { ConflictException, CreateScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { mockAws, setHandlerEnv } from '../../../fixtures/aws';
import { captureOutput, type CapturedOutput } from '../../../fixtures/capture-output';
import { scheduleAuthorizerCacheFlush } from '../../../../lambdas/shared/authorizer-cache';

const aws = mockAws();
let output: CapturedOutput;
const NOW = new Date('2026-11-26T12:00:00.000Z');

beforeEach(() => {
  aws.reset();
  setHandlerEnv();
  output = captureOutput();
});
afterEach(() => output.restore());

describe('scheduleAuthorizerCacheFlush', () => {
  it('rounds up to the whole second after expiry plus a second', async () => {
    await scheduleAuthorizerCacheFlush('key_X', '2026-11-26T12:30:00.001Z', NOW);
    expect(aws.scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Name: 'flush-key_X',
      ScheduleExpression: 'at(2026-11-26T12:30:02)',
    });
  });

  it('takes the universal target partition from the role ARN', async () => {
    setHandlerEnv({ FLUSH_SCHEDULE_ROLE_ARN: 'arn:aws-cn:iam::123456789012:role/flush' });
    await scheduleAuthorizerCacheFlush('key_X', '2026-11-26T13:00:00Z', NOW);
    expect(aws.scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Target: expect.objectContaining({ Arn: 'arn:aws-cn:scheduler:::aws-sdk:apigateway:flushStageAuthorizersCache' }),
    });
  });

  it('schedules nothing for an expiry that has passed: the immediate flush covered it', async () => {
    await scheduleAuthorizerCacheFlush('key_X', '2026-11-26T11:59:58Z', NOW);
    expect(aws.scheduler).not.toHaveReceivedCommand(CreateScheduleCommand);
  });

  it('without its configuration, warns and schedules nothing', async () => {
    setHandlerEnv({ FLUSH_SCHEDULE_GROUP: undefined });
    await scheduleAuthorizerCacheFlush('key_X', '2026-11-26T13:00:00Z', NOW);
    expect(aws.scheduler).not.toHaveReceivedCommand(CreateScheduleCommand);
    expect(output.text()).toContain('not scheduled');
  });

  it("moves the key's existing schedule instead of adding another, so there is one per key", async () => {
    aws.scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    await scheduleAuthorizerCacheFlush('key_X', '2026-11-26T13:00:00Z', NOW);
    expect(aws.scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: 'flush-key_X',
      ScheduleExpression: 'at(2026-11-26T13:00:01)',
      ActionAfterCompletion: 'DELETE',
      Target: expect.objectContaining({ Arn: 'arn:aws:scheduler:::aws-sdk:apigateway:flushStageAuthorizersCache' }),
    });
    expect(output.text()).not.toContain('could not be scheduled');
  });

  it('any other failure is logged, never thrown', async () => {
    aws.scheduler.on(CreateScheduleCommand).rejects(new Error('socket hang up'));
    await expect(scheduleAuthorizerCacheFlush('key_X', '2026-11-26T13:00:00Z', NOW)).resolves.toBeUndefined();
    expect(output.text()).toContain('could not be scheduled');
    expect(aws.scheduler).not.toHaveReceivedCommand(UpdateScheduleCommand);
  });
});
