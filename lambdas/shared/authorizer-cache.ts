import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { ConflictException, CreateScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { ENV } from '../../src/config';
import { errorKind, logger } from './runtime';

/** Bounded like the DynamoDB calls, so a stuck call cannot run the handler into its timeout. */
const CALL_LIMITS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
};
/** Scheduler fires on whole seconds; flushing a little after expiry means the key is surely refused by then. */
const FLUSH_DELAY_AFTER_EXPIRY_MS = 1_000;

let apiGateway: APIGatewayClient | undefined;
let scheduler: SchedulerClient | undefined;

/**
 * Flushes the stage's cached authorizer results, so a revoked key stops working
 * now rather than after the cache TTL. Best effort: the revocation itself has
 * already been written, so a failure here is logged, not returned.
 */
export async function flushAuthorizerCache(): Promise<void> {
  const restApiId = process.env[ENV.restApiId];
  const stageName = process.env[ENV.stageName];
  if (!restApiId || !stageName) {
    logger.warn('Authorizer cache not flushed: REST_API_ID or STAGE_NAME is not set');
    return;
  }
  try {
    apiGateway ??= new APIGatewayClient(CALL_LIMITS);
    await apiGateway.send(new FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
  } catch (error) {
    logger.warn('Authorizer cache flush failed', { error: errorKind(error) });
  }
}

/**
 * Schedules a flush for the moment a key expires, so that an Allow cached while
 * it was valid cannot outlive it. It is a one-time EventBridge Scheduler schedule
 * that calls FlushStageAuthorizersCache itself and then deletes itself. There is
 * one per key: a later expiry change moves it, so schedules never pile up.
 * Best effort, like the flush: without it the key still stops within the cache TTL.
 */
export async function scheduleAuthorizerCacheFlush(keyId: string, expiresAt: string, now = new Date()): Promise<void> {
  const flushAt = Math.ceil((Date.parse(expiresAt) + FLUSH_DELAY_AFTER_EXPIRY_MS) / 1000) * 1000;
  // An expiry that has already passed was covered by the immediate flush.
  if (flushAt <= now.getTime()) return;
  const restApiId = process.env[ENV.restApiId];
  const stageName = process.env[ENV.stageName];
  const groupName = process.env[ENV.flushScheduleGroup];
  const roleArn = process.env[ENV.flushScheduleRoleArn];
  if (!restApiId || !stageName || !groupName || !roleArn) {
    logger.warn('Authorizer cache flush not scheduled: REST_API_ID, STAGE_NAME, FLUSH_SCHEDULE_GROUP or FLUSH_SCHEDULE_ROLE_ARN is not set');
    return;
  }
  const partition = roleArn.split(':')[1];
  const schedule = {
    Name: `flush-${keyId}`,
    GroupName: groupName,
    ScheduleExpression: `at(${new Date(flushAt).toISOString().slice(0, 19)})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    ActionAfterCompletion: 'DELETE' as const,
    Target: {
      Arn: `arn:${partition}:scheduler:::aws-sdk:apigateway:flushStageAuthorizersCache`,
      RoleArn: roleArn,
      Input: JSON.stringify({ RestApiId: restApiId, StageName: stageName }),
    },
  };
  try {
    scheduler ??= new SchedulerClient(CALL_LIMITS);
    try {
      await scheduler.send(new CreateScheduleCommand(schedule));
    } catch (error) {
      // The key already has a pending flush: move it to the new expiry.
      if (!(error instanceof ConflictException)) throw error;
      await scheduler.send(new UpdateScheduleCommand(schedule));
    }
  } catch (error) {
    logger.warn('Authorizer cache flush could not be scheduled', { keyId, error: errorKind(error) });
  }
}
