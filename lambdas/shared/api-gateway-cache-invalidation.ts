import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { ConflictException, CreateScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { ENV } from '../../src/config';
import type { AuthorizerCacheInvalidation } from '../../src/domain/authorizer-cache-invalidation';
import { errorKind, logger } from './logger';

/** Bounded like the DynamoDB calls, so a stuck call cannot run the handler into its timeout. */
const CALL_LIMITS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
};
/** Scheduler fires on whole seconds; flushing a little after expiry means the key is surely refused by then. */
const FLUSH_DELAY_AFTER_EXPIRY_MS = 1_000;

/** The function calls a capability its deployment did not grant: a wiring bug, never swallowed. */
class MissingGrantError extends Error {
  readonly name = 'MissingGrantError';
}

/**
 * Invalidation of the stage's API Gateway authorizer cache, for the key lifecycle.
 * `flushNow` calls FlushStageAuthorizersCache. `flushAt` creates a one-time
 * EventBridge Scheduler schedule that calls it itself at that moment and then
 * deletes itself; there is one per key, so a later expiry moves it instead of
 * adding another.
 *
 * Its settings are read from the environment when the function starts; the
 * construct's grantFlushNow and grantScheduleFlush set them along with the IAM
 * they need. Calling a capability without its settings throws MissingGrantError.
 * Otherwise both are best effort: the change they follow is already written, and
 * without them the key still stops within the cache TTL, so a failed call is
 * logged, not returned.
 */
export function apiGatewayCacheInvalidation(
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): AuthorizerCacheInvalidation {
  const restApiId = env[ENV.restApiId];
  const stageName = env[ENV.stageName];
  const groupName = env[ENV.flushScheduleGroup];
  const roleArn = env[ENV.flushScheduleRoleArn];
  // Clients only for what was granted, built now so that they, too, see the start-up environment.
  const apiGateway = restApiId && stageName ? new APIGatewayClient(CALL_LIMITS) : undefined;
  const scheduler = groupName && roleArn ? new SchedulerClient(CALL_LIMITS) : undefined;

  return {
    async flushNow() {
      if (!apiGateway) {
        throw new MissingGrantError(
          `This function may not flush authorizer caches: ${ENV.restApiId} or ${ENV.stageName} is not set`,
        );
      }
      try {
        await apiGateway.send(new FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
      } catch (error) {
        logger.warn('Authorizer cache flush failed', { error: errorKind(error) });
      }
    },

    async flushAt(keyId, at) {
      if (!scheduler || !restApiId || !stageName || !roleArn) {
        throw new MissingGrantError(
          `This function may not schedule authorizer cache flushes: ${ENV.flushScheduleGroup} or ${ENV.flushScheduleRoleArn} is not set`,
        );
      }
      const runAt = Math.ceil((Date.parse(at) + FLUSH_DELAY_AFTER_EXPIRY_MS) / 1000) * 1000;
      // A moment that has already passed needs no schedule: the key is refused already.
      if (runAt <= now()) return;
      const partition = roleArn.split(':')[1];
      const schedule = {
        Name: `flush-${keyId}`,
        GroupName: groupName,
        ScheduleExpression: `at(${new Date(runAt).toISOString().slice(0, 19)})`,
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
        try {
          await scheduler.send(new CreateScheduleCommand(schedule));
        } catch (error) {
          // The key already has a pending flush: move it to the new time.
          if (!(error instanceof ConflictException)) throw error;
          await scheduler.send(new UpdateScheduleCommand(schedule));
        }
      } catch (error) {
        logger.warn('Authorizer cache flush could not be scheduled', { keyId, error: errorKind(error) });
      }
    },
  };
}
