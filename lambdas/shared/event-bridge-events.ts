import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ENV, requiredEnv } from '../../src/config';
import type { AuditEvents, AuditRecord } from '../../src/domain/audit';

/** Bounded, so a stuck call cannot run a function into its timeout: 3 attempts, each connected within 0.5 s and answered within 1 s. */
const CALL_LIMITS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
};

/** PutEvents takes at most this many entries. */
const MAX_ENTRIES_PER_CALL = 10;

/**
 * Publishes records to the bus EVENT_BUS_NAME as `source` EVENT_SOURCE and
 * `detail-type` the record's action, its detail the record: ten to a call, the
 * calls one after another, in the records' order. The SDK retries a failed call;
 * once one still fails, it and the ones after it are not made (EventBridge is
 * unreachable). A record not published waits in its item.
 */
export function eventBridgeEvents(env: NodeJS.ProcessEnv = process.env): AuditEvents {
  const bus = requiredEnv(ENV.eventBusName, env);
  const source = requiredEnv(ENV.eventSource, env);
  const client = new EventBridgeClient(CALL_LIMITS);
  return {
    async publish(records: readonly AuditRecord[]) {
      const refused = new Set<string>();
      for (let start = 0; start < records.length; start += MAX_ENTRIES_PER_CALL) {
        const batch = records.slice(start, start + MAX_ENTRIES_PER_CALL);
        try {
          const result = await client.send(
            new PutEventsCommand({
              Entries: batch.map((record) => ({
                EventBusName: bus,
                Source: source,
                DetailType: record.action,
                Detail: JSON.stringify(record),
                Time: new Date(record.at),
              })),
            }),
          );
          // EventBridge answers 200 and names, entry by entry in the order sent, those it refused.
          if ((result.FailedEntryCount ?? 0) > 0) {
            batch.forEach((record, index) => {
              const entry = result.Entries?.[index];
              if (entry === undefined || entry.ErrorCode !== undefined) refused.add(record.id);
            });
          }
        } catch {
          for (const record of records.slice(start)) refused.add(record.id);
          break;
        }
      }
      return refused;
    },
  };
}
