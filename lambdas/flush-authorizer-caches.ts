import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CacheFlusher, type QueuedFlush } from '../src/domain/cache-flush';
import { logger } from './shared/logger';
import { describeFailure, stageCacheFlushPorts } from './shared/stage-cache-flush';

const flusher = new CacheFlusher(stageCacheFlushPorts());

/** A message this queue never carries (hand-sent, or from an older version) is dropped, not retried forever. */
function queuedFlushOf(body: string): QueuedFlush | undefined {
  try {
    const { requestedAt, followUp } = JSON.parse(body) as Partial<QueuedFlush>;
    if (typeof requestedAt === 'string' && !Number.isNaN(Date.parse(requestedAt)) && typeof followUp === 'boolean') {
      return { requestedAt, followUp };
    }
  } catch {
    // falls through to undefined
  }
  return undefined;
}

/**
 * The flush queue's consumer: follow-ups of revocations and the flushes scheduled
 * for expiries. Each batch flushes every registered stage once; what failed is
 * handed back to SQS, which delivers it again after the visibility timeout and,
 * after its last attempt, moves it to the dead-letter queue.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batch = new Map<string, QueuedFlush>();
  for (const record of event.Records) {
    const flush = queuedFlushOf(record.body);
    if (flush) batch.set(record.messageId, flush);
    else logger.error('Dropped a message that is not a flush request', { messageId: record.messageId });
  }
  if (batch.size === 0) return { batchItemFailures: [] };
  const { retry, failures } = await flusher.flushQueued(batch);
  for (const failure of failures) logger.warn('Authorizer cache flush failed; it will be retried', describeFailure(failure));
  return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
}
