import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../domain/audit';
import { buildExpressions, namePlaceholders } from './expressions';
import { sendRequest } from './send-request';

/**
 * The records of an item's changes that wait for delivery, as both tables keep
 * them: `auditRecords`, a list, oldest first, and `auditPending`, when the
 * oldest was written, the key of each table's sparse index `pendingAudit`.
 */
const ATTRIBUTE = namePlaceholders(['auditRecords', 'auditPending', 'id']);

/**
 * The SET clauses and values that add a change's records (oldest first) to its
 * item, and the condition that there is room for all of them.
 */
export function appendRecords(
  records: readonly [AuditRecord, ...AuditRecord[]],
  maxWaiting: number,
): { set: string[]; values: Record<string, unknown>; condition: string } {
  return {
    set: [
      `${ATTRIBUTE.auditRecords} = list_append(if_not_exists(${ATTRIBUTE.auditRecords}, :noRecords), :records)`,
      `${ATTRIBUTE.auditPending} = if_not_exists(${ATTRIBUTE.auditPending}, :auditPending)`,
    ],
    values: {
      ':noRecords': [],
      ':records': records,
      ':auditPending': records[0].at,
      // Room for all: fewer than this many wait already.
      ':roomBelow': maxWaiting - records.length + 1,
    },
    condition: `attribute_not_exists(${ATTRIBUTE.auditRecords}) OR size(${ATTRIBUTE.auditRecords}) < :roomBelow`,
  };
}

/**
 * The item still holds exactly these records, in this order: a write conditioned on
 * it races neither a change adding a record nor another delivery settling one.
 */
export function holdsExactly(records: readonly AuditRecord[]): { condition: string; values: Record<string, unknown> } {
  const values: Record<string, unknown> = { ':recordCount': records.length };
  const parts = [`size(${ATTRIBUTE.auditRecords}) = :recordCount`];
  records.forEach((record, index) => {
    values[`:record${index}`] = record.id;
    parts.push(`${ATTRIBUTE.auditRecords}[${index}].${ATTRIBUTE.id} = :record${index}`);
  });
  return { condition: parts.join(' AND '), values };
}

/**
 * How settling leaves an item: the records not settled, and the index key set to
 * the oldest of them; or neither, when none remain.
 */
export function settledClauses(remaining: readonly AuditRecord[]): {
  set: string[];
  remove: string[];
  values: Record<string, unknown>;
} {
  if (remaining.length === 0) return { set: [], remove: [ATTRIBUTE.auditRecords, ATTRIBUTE.auditPending], values: {} };
  return {
    set: [`${ATTRIBUTE.auditRecords} = :remaining`, `${ATTRIBUTE.auditPending} = :oldest`],
    remove: [],
    values: { ':remaining': remaining, ':oldest': remaining[0].at },
  };
}

/** Settling races the writes that add records and other deliveries settling theirs: it reads again and retries this often. */
export const MAX_SETTLE_ATTEMPTS = 5;

/** How many items with records waiting one sweep delivers at most, per table; the next sweep takes the rest. */
const MAX_PENDING_PER_SWEEP = 500;

/**
 * The items whose oldest waiting record was written before `before`, by a Scan of the
 * table's sparse index `pendingAudit`. The index is eventually consistent and holds
 * keys only: each item it names is read as it is now, and one that no longer holds
 * records is left out.
 */
export async function itemsWaitingSince<T extends { auditRecords?: readonly AuditRecord[] }>(
  client: DynamoDBDocumentClient,
  index: { tableName: string; indexName: string; partitionKey: string },
  before: string,
  read: (partitionKey: string) => Promise<T | undefined>,
): Promise<T[]> {
  const keys = await sendRequest(async () => {
    const found: string[] = [];
    const pages = paginateScan(
      { client },
      {
        TableName: index.tableName,
        IndexName: index.indexName,
        ...buildExpressions({ filter: `${ATTRIBUTE.auditPending} < :before` }, { ':before': before }),
      },
    );
    for await (const page of pages) {
      found.push(...(page.Items ?? []).map((item) => item[index.partitionKey] as string));
      if (found.length >= MAX_PENDING_PER_SWEEP) break;
    }
    return found;
  });
  const items: (T | undefined)[] = await Promise.all(keys.slice(0, MAX_PENDING_PER_SWEEP).map(read));
  return items.filter((item): item is T => (item?.auditRecords?.length ?? 0) > 0);
}
