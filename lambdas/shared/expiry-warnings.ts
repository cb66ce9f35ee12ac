import { ENV } from '../../src/config';
import type { ExpiryWarnings } from '../../src/domain/expiry-warnings';
import { schedulerClient } from './flush-apis';
import { errorKind, logger } from './logger';
import { MissingGrantError } from './missing-grant';
import { scheduleOnce } from './one-time-schedules';

/** A scheduled warning that cannot be queued for this long is given up to the dead-letter queue: a day late is no warning. */
const WARNING_MAX_AGE_SECONDS = 24 * 60 * 60;

/**
 * Expiry warnings in AWS (src/domain/expiry-warnings.ts): the window the
 * construct's `expiryWarning` sets, and a one-time EventBridge Scheduler schedule
 * per key (`warn-{keyId}`, in the flush schedules' group) that puts the warning on
 * its queue when it is due and then deletes itself; a later expiry moves it. The
 * queue's consumer (lambdas/warn-of-expiry.ts) writes the warning, if it still applies.
 *
 * Settings are read when the function starts; the construct's
 * grantScheduleExpiryWarnings sets them along with the IAM they need. A function
 * without them throws MissingGrantError once a change of it would warn (a
 * function that sets no expiry never does). The Scheduler client is made with the
 * settings, at init: local mode gives a function its credentials only while it
 * loads. A schedule that cannot be made is logged, not thrown: the change is
 * written already, and its key is then not warned.
 */
export function expiryWarningsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ExpiryWarnings {
  const windowSetting = env[ENV.expiryWarningSeconds];
  const groupName = env[ENV.flushScheduleGroup];
  const roleArn = env[ENV.flushScheduleRoleArn];
  const queueArn = env[ENV.expiryWarningQueueArn];
  const deadLetterQueueArn = env[ENV.flushDeadLetterQueueArn];
  const granted =
    windowSetting && groupName && roleArn && queueArn && deadLetterQueueArn
      ? { windowSeconds: Number(windowSetting), groupName, roleArn, queueArn, deadLetterQueueArn }
      : undefined;
  const missing = () =>
    new MissingGrantError(
      `This function may not warn of expiries: ${ENV.expiryWarningSeconds}, ${ENV.flushScheduleGroup}, ${ENV.flushScheduleRoleArn}, ${ENV.expiryWarningQueueArn} or ${ENV.flushDeadLetterQueueArn} is not set`,
    );
  const client = granted ? schedulerClient(env) : undefined;
  return {
    get windowSeconds() {
      if (!granted) throw missing();
      return granted.windowSeconds;
    },
    schedule: {
      async warnAt(key, expiresAt, at) {
        if (!granted || !client) throw missing();
        try {
          // The key's warning scheduled already, if it has one, moves to the new expiry's.
          await scheduleOnce(client, {
            name: `warn-${key.keyId}`,
            groupName: granted.groupName,
            runAt: new Date(Math.ceil(Date.parse(at) / 1000) * 1000),
            queueArn: granted.queueArn,
            roleArn: granted.roleArn,
            deadLetterQueueArn: granted.deadLetterQueueArn,
            input: JSON.stringify({ tenantId: key.tenantId, keyId: key.keyId, expiresAt }),
            maxEventAgeSeconds: WARNING_MAX_AGE_SECONDS,
          });
        } catch (error) {
          logger.warn('Expiry warning could not be scheduled', { keyId: key.keyId, error: errorKind(error) });
        }
      },
    },
  };
}
