import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type Delivery, newlyDeliverable, type Outbox } from '../src/domain/audit-delivery';
import { keyRecordOf } from '../src/store/dynamo-key-store';
import { tenantRecordOf } from '../src/store/dynamo-tenant-store';
import { auditDeliveryFromEnvironment } from './shared/audit';
import { eventBridgeEvents } from './shared/event-bridge-events';
import { logger } from './shared/logger';

const delivery = auditDeliveryFromEnvironment(eventBridgeEvents());

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

/** The item an image shows, if it is one records wait in: a key's, or a tenant's own. */
function outboxOf(image: Image | undefined): Outbox | undefined {
  if (!image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  const key = keyRecordOf(item);
  if (key) return { kind: 'key', item: key };
  const tenant = tenantRecordOf(item);
  return tenant ? { kind: 'tenant', item: tenant } : undefined;
}

/**
 * The audit trail's carrier: the key table's and the tenant table's DynamoDB
 * streams (new and old images), filtered to writes that leave records waiting,
 * feed this function every change's record once the change is written, whatever
 * became of the function that made it. It delivers what each write made
 * deliverable, in the order the records were made. A write whose records are not
 * all delivered is reported by its sequence number: the event source retries
 * from it, splitting the batch, and sets aside what still fails (its on-failure
 * queue, with an alarm); the records wait in their items for the sweeper.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const writes: { sequenceNumber: string; delivery: Delivery }[] = [];
  for (const record of event.Records) {
    const after = outboxOf(record.dynamodb?.NewImage);
    if (!after) continue;
    const deliver = newlyDeliverable(outboxOf(record.dynamodb?.OldImage), after);
    if (deliver.length > 0)
      writes.push({ sequenceNumber: record.dynamodb?.SequenceNumber ?? '', delivery: { outbox: after, deliver } });
  }
  const done = await delivery.deliver(writes.map((write) => write.delivery));
  const failed = writes.filter((_, index) => !done[index]);
  if (failed.length > 0) logger.warn('Audit records not delivered; the stream retries them', { writes: failed.length });
  return { batchItemFailures: failed.map((write) => ({ itemIdentifier: write.sequenceNumber })) };
}
