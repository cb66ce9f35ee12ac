import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ENV, requiredEnv } from '../../src/config';
import { type AuditEvents, type AuditRecord, AuditTrail } from '../../src/domain/audit';
import { tenantStoreFromEnvironment } from './key-store';
import { errorKind, logger } from './logger';
import { CALL_LIMITS } from './stage-cache-flush';

/** A publish refused for some of its entries: EventBridge answers 200 and says so in the body. */
class EventNotPublishedError extends Error {
  readonly name = 'EventNotPublishedError';
}

/**
 * Publishes each record to the bus EVENT_BUS_NAME as `source` EVENT_SOURCE and
 * `detail-type` the record's action, its detail the record. The SDK retries a
 * failed call; a publish that still fails leaves the record pending for the sweeper.
 */
function eventBridgeEvents(env: NodeJS.ProcessEnv): AuditEvents {
  const bus = requiredEnv(ENV.eventBusName, env);
  const source = requiredEnv(ENV.eventSource, env);
  const client = new EventBridgeClient({ ...CALL_LIMITS, maxAttempts: 3 });
  return {
    async publish(record: AuditRecord) {
      const result = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: bus,
              Source: source,
              DetailType: record.action,
              Detail: JSON.stringify(record),
              Time: new Date(record.at),
            },
          ],
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        throw new EventNotPublishedError(result.Entries?.[0]?.ErrorCode ?? 'the entry was not published');
      }
    },
  };
}

/** The audit trail as deployed: the tenant table's log, EventBridge, the retention the construct set. */
export function auditTrailFromEnvironment(env: NodeJS.ProcessEnv = process.env): AuditTrail {
  const retentionSeconds = Number(requiredEnv(ENV.auditRetentionSeconds, env));
  return new AuditTrail({ log: tenantStoreFromEnvironment(), events: eventBridgeEvents(env), retentionSeconds });
}

/** What a handler does when a committed change's record could not be delivered at once: the sweeper will. */
export function logAuditDeliveryFailure(error: unknown): void {
  logger.warn('Audit record not delivered yet; the sweeper will deliver it', { error: errorKind(error) });
}
