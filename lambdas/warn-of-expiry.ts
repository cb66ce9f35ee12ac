import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { KeyNotFoundError } from '../src/domain/errors';
import { warnOfExpiry } from '../src/domain/key-commands/warn-of-expiry';
import { KeyService } from '../src/domain/key-service';
import { authorizerCacheInvalidation } from './shared/authorizer-cache-invalidation';
import { expiryWarningsFromEnvironment } from './shared/expiry-warnings';
import { keyStoreFromEnvironment } from './shared/key-store';
import { errorKind, logger } from './shared/logger';

/**
 * A warning changes no access: the invalidation port is there for the executor, which never calls it for one.
 * The warnings' own port schedules a key's warning again when its schedule was left on another expiry.
 */
const keys = new KeyService({
  store: keyStoreFromEnvironment(),
  invalidation: authorizerCacheInvalidation(),
  expiryWarnings: expiryWarningsFromEnvironment(),
});

/** What a schedule puts on the queue: the key, and the expiry it was scheduled for (for whoever reads a dead letter). */
interface QueuedWarning {
  tenantId: string;
  keyId: string;
  expiresAt: string;
}

/** A message this queue never carries (hand-sent, or from an older version) is dropped, not retried forever. */
function queuedWarningOf(body: string): QueuedWarning | undefined {
  try {
    const { tenantId, keyId, expiresAt } = JSON.parse(body) as Partial<QueuedWarning>;
    if (typeof tenantId === 'string' && typeof keyId === 'string' && typeof expiresAt === 'string') {
      return { tenantId, keyId, expiresAt };
    }
  } catch {
    // falls through to undefined
  }
  return undefined;
}

/**
 * The scheduled expiry warnings' consumer: each message, put on the queue by the
 * key's schedule when its warning is due, runs `warnOfExpiry`, which writes the
 * key's `key.expiring` record if the key is still active with an expiry it was
 * not warned of, or schedules it again if that expiry is not the one scheduled
 * and its warning is not due yet. A key that is gone needs no warning. What fails (the store, or a
 * key with no room for the record while its delivery is behind) is handed back
 * to SQS, delivered again after the visibility timeout, and in the end set aside
 * in the dead-letter queue.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failed: string[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      const warning = queuedWarningOf(record.body);
      if (!warning) {
        logger.error('Dropped a message that is not an expiry warning', { messageId: record.messageId });
        return;
      }
      const { tenantId, keyId } = warning;
      try {
        await keys.run(warnOfExpiry, { tenantId, keyId, input: undefined, caller: { kind: 'service' } });
      } catch (error) {
        if (error instanceof KeyNotFoundError) return;
        logger.warn('Expiry warning not written; it will be retried', { keyId, error: errorKind(error) });
        failed.push(record.messageId);
      }
    }),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
