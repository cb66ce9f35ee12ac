import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ENV, requiredEnv } from '../../src/config';
import type { AuditEvents, AuditRecord } from '../../src/domain/audit';
import { AuditDelivery } from '../../src/domain/audit-delivery';
import { keyStoreFromEnvironment, tenantStoreFromEnvironment } from './key-store';
import { CALL_LIMITS } from './stage-cache-flush';

/** A publish refused for some of its entries: EventBridge answers 200 and says so in the body. */
class EventNotPublishedError extends Error {
  readonly name = 'EventNotPublishedError';
}

/**
 * Publishes each record to the bus EVENT_BUS_NAME as `source` EVENT_SOURCE and
 * `detail-type` the record's action, its detail the record. The SDK retries a
 * failed call; a publish that still fails leaves the record waiting in its item.
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

/**
 * Audit delivery as deployed, for the delivery function and the sweeper: the
 * records waiting in both tables, the tenant table's log, EventBridge, the
 * retention the construct set.
 */
export function auditDeliveryFromEnvironment(env: NodeJS.ProcessEnv = process.env): AuditDelivery {
  const tenants = tenantStoreFromEnvironment();
  return new AuditDelivery({
    log: tenants,
    events: eventBridgeEvents(env),
    keys: keyStoreFromEnvironment(),
    tenants,
    requests: tenants,
    retentionSeconds: Number(requiredEnv(ENV.auditRetentionSeconds, env)),
  });
}
