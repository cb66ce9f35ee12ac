import '../../../fixtures/handler-env';
import { FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { ConflictException, CreateScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { apiGatewayCacheInvalidation } from '../../../../lambdas/shared/api-gateway-cache-invalidation';
import { mockAws } from '../../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../../fixtures/capture-output';

const aws = mockAws();
let output: CapturedOutput;
const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const invalidation = (env: NodeJS.ProcessEnv = process.env) => apiGatewayCacheInvalidation(env, () => NOW);

beforeEach(() => {
  aws.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

describe('flushNow', () => {
  it("flushes the stage's authorizer cache", async () => {
    await invalidation().flushNow();
    expect(aws.apigw).toHaveReceivedCommandWith(FlushStageAuthorizersCacheCommand, { restApiId: 'abc123', stageName: 'v1' });
  });

  it('a failed flush is logged, never thrown: the revocation it follows is written already', async () => {
    aws.apigw
      .on(FlushStageAuthorizersCacheCommand)
      .rejects(Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' }));
    await expect(invalidation().flushNow()).resolves.toBeUndefined();
    expect(output.text()).toContain('TooManyRequestsException');
    expect(output.text()).not.toContain('Too Many Requests');
  });

  it('without the grant that names the stage, throws MissingGrantError and calls nothing', async () => {
    const { REST_API_ID: _, ...ungranted } = process.env;
    await expect(invalidation(ungranted).flushNow()).rejects.toMatchObject({ name: 'MissingGrantError' });
    expect(aws.apigw).not.toHaveReceivedAnyCommand();
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

  it('takes the universal target partition from the role ARN', async () => {
    await invalidation({ ...process.env, FLUSH_SCHEDULE_ROLE_ARN: 'arn:aws-cn:iam::123456789012:role/flush' }).flushAt(
      'key_X',
      '2026-11-26T13:00:00Z',
    );
    expect(aws.scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      Target: expect.objectContaining({ Arn: 'arn:aws-cn:scheduler:::aws-sdk:apigateway:flushStageAuthorizersCache' }),
    });
  });

  it('schedules nothing for a moment that has passed', async () => {
    await invalidation().flushAt('key_X', '2026-11-26T11:59:58Z');
    expect(aws.scheduler).not.toHaveReceivedCommand(CreateScheduleCommand);
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
      Target: expect.objectContaining({ Arn: 'arn:aws:scheduler:::aws-sdk:apigateway:flushStageAuthorizersCache' }),
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
