import type { SmallAwsClient } from '../../src/aws/small-aws-client';
import { CREATE_SCHEDULE, type ScheduleInput, UPDATE_SCHEDULE } from './flush-apis';

/** A one-time schedule that puts `input` on a queue at `runAt` (a whole second), as EventBridge Scheduler runs it. */
export interface QueueSchedule {
  name: string;
  groupName: string;
  runAt: Date;
  queueArn: string;
  roleArn: string;
  deadLetterQueueArn: string;
  input: string;
  /** How long Scheduler keeps trying to put the message before it gives it to the dead-letter queue. */
  maxEventAgeSeconds: number;
}

/**
 * Creates the schedule, or, when one of that name is waiting (ConflictException),
 * moves it to this time and input: one schedule per name. It deletes itself once
 * it has run, so the name is free again.
 */
export async function scheduleOnce(client: SmallAwsClient, schedule: QueueSchedule): Promise<void> {
  const input: ScheduleInput = {
    Name: schedule.name,
    GroupName: schedule.groupName,
    ScheduleExpression: `at(${schedule.runAt.toISOString().slice(0, 19)})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: {
      Arn: schedule.queueArn,
      RoleArn: schedule.roleArn,
      Input: schedule.input,
      RetryPolicy: { MaximumEventAgeInSeconds: schedule.maxEventAgeSeconds, MaximumRetryAttempts: 185 },
      DeadLetterConfig: { Arn: schedule.deadLetterQueueArn },
    },
  };
  try {
    await client.send(CREATE_SCHEDULE, input);
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ConflictException')) throw error;
    await client.send(UPDATE_SCHEDULE, input);
  }
}
