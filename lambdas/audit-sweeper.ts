import type { SweepResult } from '../src/domain/audit-delivery';
import { auditDeliveryFromEnvironment } from './shared/audit';
import { eventBridgeEvents } from './shared/event-bridge-events';
import { errorKind, logger } from './shared/logger';

const delivery = auditDeliveryFromEnvironment(eventBridgeEvents());

/**
 * Runs every few minutes (an EventBridge schedule in AWS, a timer in local mode):
 * the backstop of the delivery function, it delivers the audit records that have
 * waited in their items longer than a delivery takes.
 */
export async function handler(): Promise<SweepResult> {
  try {
    const result = await delivery.sweep();
    if (result.delivered > 0 || result.withdrawn > 0 || result.failed > 0) logger.info('Swept audit records', { ...result });
    if (result.failed > 0) logger.warn('Some audit records are still waiting; the next sweep retries them', { ...result });
    return result;
  } catch (error) {
    logger.error('The audit sweep failed; the next one retries', { error: errorKind(error) });
    throw error;
  }
}
