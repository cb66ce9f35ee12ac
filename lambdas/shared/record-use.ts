import type { Context } from 'aws-lambda';
import type { KeyRecord } from '../../src/domain/api-key';
import type { KeyVerifier } from '../../src/domain/key-verification';
import { errorKind, logger } from './logger';

/**
 * The most the lastUsedAt write may delay an answer. It is bookkeeping: a slow
 * write is abandoned rather than allowed to push a valid key past the timeout.
 */
const RECORD_USE_BUDGET_MS = 500;
/** Time kept back for returning the answer once the write is abandoned. */
const REPLY_MARGIN_MS = 100;

/**
 * Records that a verified key was used, when a record is due, as the authorizer
 * and POST /verify both do: within the budget and what is left of the invocation,
 * giving up rather than failing the answer. Never throws.
 */
export async function recordUseInTime(verifier: KeyVerifier, record: KeyRecord, context?: Context): Promise<void> {
  if (!verifier.isUseRecordDue(record)) return;
  const remainingMs = context ? context.getRemainingTimeInMillis() - REPLY_MARGIN_MS : RECORD_USE_BUDGET_MS;
  const budgetMs = Math.min(RECORD_USE_BUDGET_MS, remainingMs);
  if (budgetMs <= 0) return;
  const signal = AbortSignal.timeout(budgetMs);
  const abandoned = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  try {
    await Promise.race([verifier.recordUse(record, signal), abandoned]);
  } catch (error) {
    logger.warn('Could not record key use', { keyId: record.keyId, error: errorKind(error) });
  }
}
