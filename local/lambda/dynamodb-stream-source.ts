import { type AttributeValue, type DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { DynamoDbStreamHandler } from '../boot/handler-modules';
import { scheduleChangeFeed } from './change-feed-schedule';

/** A table whose stream the audit delivery consumes, and the sparse index of its items with waiting records. */
export interface StreamedTable {
  tableName: string;
  /** The attributes of the table's own key, which the index's items carry with its own. */
  keyAttributes: readonly string[];
  pendingIndex: string;
  /** Its stream's ARN, as stream records name their source. */
  streamArn: string;
}

export interface DynamoDbStreamSourceOptions {
  client: DynamoDBClient;
  tables: readonly StreamedTable[];
  handler: DynamoDbStreamHandler;
  /** The event source's filter, as the stack sets it (src/store/table-schema.ts). */
  filter: object;
  /** How soon the tables are looked at again after a look that found records, and at least between looks. */
  intervalMs: number;
  /** How long the feed waits after a look that found nothing, unless told the tables changed. */
  idleIntervalMs: number;
  region: string;
  /** Where a failed look or invocation is reported; what it was for is found again at the next. */
  onError: (error: unknown) => void;
}

export interface DynamoDbStreamSource {
  /** A write reached the tables: look at once (no sooner than `intervalMs` after the last look began). */
  tablesChanged(): void;
  close(): Promise<void>;
}

type Pattern = Record<string, unknown> | readonly unknown[];

/** Lambda's event filter over a stream record, for the rules the service's filter uses: values and `exists`. */
function matches(pattern: Pattern, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule) =>
      rule !== null && typeof rule === 'object' && 'exists' in rule
        ? (value !== undefined) === (rule as { exists: boolean }).exists
        : rule === value,
    );
  }
  return Object.entries(pattern).every(([name, inner]) =>
    matches(inner as Pattern, value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined),
  );
}

/**
 * Local mode's stand-in for DynamoDB Streams, which dynalite has not: a change feed
 * that looks at each table's sparse `pendingAudit` index when told the tables
 * changed and otherwise on a back-off (change-feed-schedule.ts), reads each item
 * found as it is now, and hands the event source's filter's matches to the audit
 * delivery function as stream records, one invocation at a time, as
 * Lambda's event source does. Unlike a stream it sees items, not each write: a
 * record carries the item's new image only (so the function delivers every record
 * the item holds), and an item changed twice between looks is one record.
 */
export function startDynamoDbStreamSource(options: DynamoDbStreamSourceOptions): DynamoDbStreamSource {
  let sequence = 0;

  async function recordsOf(table: StreamedTable): Promise<DynamoDBRecord[]> {
    const keys: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await options.client.send(
        new ScanCommand({ TableName: table.tableName, IndexName: table.pendingIndex, ExclusiveStartKey: startKey }),
      );
      keys.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const records: DynamoDBRecord[] = [];
    for (const indexed of keys) {
      const key = Object.fromEntries(table.keyAttributes.map((name) => [name, indexed[name]]));
      const { Item } = await options.client.send(
        new GetItemCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
      );
      if (!Item) continue;
      sequence += 1;
      records.push({
        eventID: `local-${sequence}`,
        eventName: 'MODIFY',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: options.region,
        eventSourceARN: table.streamArn,
        dynamodb: {
          Keys: key as never,
          NewImage: Item as never,
          SequenceNumber: String(sequence).padStart(21, '0'),
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      });
    }
    return records.filter((record) => matches(options.filter as Pattern, record));
  }

  async function look(): Promise<boolean> {
    const records = (await Promise.all(options.tables.map(recordsOf))).flat();
    if (records.length === 0) return false;
    const { batchItemFailures = [] } = await options.handler({ Records: records });
    if (batchItemFailures.length > 0) {
      options.onError(new Error(`${batchItemFailures.length} of ${records.length} records were not delivered`));
    }
    // Records that fail every time wait for an idle look, not the next quick one.
    return batchItemFailures.length < records.length;
  }

  const schedule = scheduleChangeFeed({
    look,
    intervalMs: options.intervalMs,
    idleIntervalMs: options.idleIntervalMs,
    onError: options.onError,
  });
  return { tablesChanged: schedule.wake, close: schedule.close };
}
