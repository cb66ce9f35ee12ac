import { AuditSweeper, type SweepResult } from '../src/domain/audit-sweeper';
import { auditTrailFromEnvironment } from './shared/audit';
import { keyStoreFromEnvironment } from './shared/key-store';
import { errorKind, logger } from './shared/logger';

const sweeper = new AuditSweeper(keyStoreFromEnvironment(), auditTrailFromEnvironment());

/**
 * Runs every few minutes (an EventBridge schedule in AWS, a timer in local mode):
 * delivers the audit records whose changes' own deliveries were interrupted.
 */
export async function handler(): Promise<SweepResult> {
  try {
    const result = await sweeper.sweep();
    if (result.delivered > 0 || result.failed > 0) logger.info('Swept audit records', { ...result });
    if (result.failed > 0) logger.warn('Some audit records are still pending; the next sweep retries them', { ...result });
    return result;
  } catch (error) {
    logger.error('The audit sweep failed; the next one retries', { error: errorKind(error) });
    throw error;
  }
}
