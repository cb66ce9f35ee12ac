import { ENV } from '../../src/config';
import type { AuthorizerCacheInvalidation } from '../../src/domain/authorizer-cache-invalidation';
import { CacheFlusher, type QueuedFlush } from '../../src/domain/cache-flush';
import { schedulerClient } from './flush-apis';
import { errorKind, logger } from './logger';
import { MissingGrantError } from './missing-grant';
import { scheduleOnce } from './one-time-schedules';
import { describeFailure, stageCacheFlushPorts } from './stage-cache-flush';

/** Scheduler fires on whole seconds; flushing a little after the moment means the key is surely refused by then. */
const FLUSH_DELAY_AFTER_MOMENT_MS = 1_000;
/** A scheduled flush that cannot be queued for this long is moot: the answers it would clear have expired. */
const SCHEDULED_FLUSH_MAX_AGE_SECONDS = 3_600;

/**
 * How long a function flushing after a change takes the list of stages it read to
 * be current; past that it reads it again, but not on an answer's path (see
 * stageCacheFlushPorts). A stage registered meanwhile is missed by this flush
 * only: the follow-up, 6 s later, reads the list afresh and flushes it.
 */
const TARGETS_REUSE_MS = 5 * 60_000;

/**
 * The key lifecycle's invalidation port in AWS. `flushNow` flushes every
 * registered stage before the change answers, and queues the follow-up (see
 * CacheFlusher). `flushAt` creates a one-time EventBridge Scheduler schedule that
 * puts a flush on the queue at that moment and then deletes itself; there is one
 * per key, so a later expiry moves it instead of adding another.
 *
 * When a flush is due is the domain's to decide (key-commands/change-executor.ts).
 * Its settings are read from the environment when the function starts; the
 * construct's grantFlushNow and grantScheduleFlush set them along with the IAM
 * they need. Calling a capability without its settings throws MissingGrantError.
 * Otherwise failures are logged, not returned: the change is already written,
 * the queue retries what failed, and without any of it the key still stops
 * within the cache TTL.
 */
export function authorizerCacheInvalidation(env: NodeJS.ProcessEnv = process.env): AuthorizerCacheInvalidation {
  const flusher =
    env[ENV.flushTargetsPath] && env[ENV.flushQueueUrl]
      ? new CacheFlusher(stageCacheFlushPorts(env, { reuseTargetsMs: TARGETS_REUSE_MS }))
      : undefined;
  const groupName = env[ENV.flushScheduleGroup];
  const roleArn = env[ENV.flushScheduleRoleArn];
  const queueArn = env[ENV.flushQueueArn];
  const deadLetterQueueArn = env[ENV.flushDeadLetterQueueArn];
  const scheduler = groupName && roleArn && queueArn && deadLetterQueueArn ? schedulerClient(env) : undefined;

  return {
    async flushNow() {
      if (!flusher) {
        throw new MissingGrantError(
          `This function may not flush authorizer caches: ${ENV.flushTargetsPath} or ${ENV.flushQueueUrl} is not set`,
        );
      }
      const { failures, followUpQueued } = await flusher.flushNow();
      for (const failure of failures) {
        const log = followUpQueued ? logger.warn : logger.error;
        log.call(logger, 'Authorizer cache flush failed', describeFailure(failure));
      }
    },

    async flushAt(keyId, at) {
      if (!scheduler) {
        throw new MissingGrantError(
          `This function may not schedule authorizer cache flushes: ${ENV.flushScheduleGroup}, ${ENV.flushScheduleRoleArn}, ${ENV.flushQueueArn} or ${ENV.flushDeadLetterQueueArn} is not set`,
        );
      }
      const runAt = new Date(Math.ceil((Date.parse(at) + FLUSH_DELAY_AFTER_MOMENT_MS) / 1000) * 1000);
      const flush: QueuedFlush = { requestedAt: runAt.toISOString(), followUp: false };
      try {
        // The key's pending flush, if it has one, moves to the new time.
        await scheduleOnce(scheduler, {
          name: `flush-${keyId}`,
          groupName: groupName as string,
          runAt,
          queueArn: queueArn as string,
          roleArn: roleArn as string,
          deadLetterQueueArn: deadLetterQueueArn as string,
          input: JSON.stringify(flush),
          maxEventAgeSeconds: SCHEDULED_FLUSH_MAX_AGE_SECONDS,
        });
      } catch (error) {
        logger.warn('Authorizer cache flush could not be scheduled', { keyId, error: errorKind(error) });
      }
    },
  };
}
