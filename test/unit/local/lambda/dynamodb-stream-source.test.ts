import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { type DynamoDbStreamSource, startDynamoDbStreamSource } from '../../../../local/lambda/dynamodb-stream-source';
import { ensureTable } from '../../../../src/store/ensure-table';
import { createKeyTableInput, KEY_TABLE, WAITING_RECORDS_FILTER } from '../../../../src/store/table-schema';
import { keyRecord } from '../../../fixtures/keys';
import { type DynaliteServer, startDynaliteServer } from '../../../support/dynalite-server';

const TABLE = 'feed-keys';
const STREAM = `arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}/stream/local`;
const record = { id: 'aud_01JD5Z00000000000000000001', at: '2030-01-01T00:00:00.000Z' };

let database: DynaliteServer;
let client: DynamoDBClient;
let source: DynamoDbStreamSource | undefined;

beforeAll(async () => {
  database = await startDynaliteServer();
  client = new DynamoDBClient({
    endpoint: database.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'feed', secretAccessKey: 'feed' },
  });
  await ensureTable(client, createKeyTableInput(TABLE));
});

afterAll(async () => {
  client.destroy();
  await database.close();
});

afterEach(async () => {
  await source?.close();
  source = undefined;
});

/** Starts the feed; each invocation's events go to `events`, and the handler answers with `answer`. */
function start(
  events: DynamoDBStreamEvent[],
  answer: () => Promise<void> = async () => undefined,
  { tableName = TABLE, idleIntervalMs = 20 } = {},
) {
  source = startDynamoDbStreamSource({
    client,
    tables: [
      {
        tableName,
        keyAttributes: [KEY_TABLE.partitionKey],
        pendingIndex: KEY_TABLE.pendingAuditIndex.name,
        streamArn: STREAM,
      },
    ],
    handler: async (event) => {
      events.push(event);
      await answer();
      return { batchItemFailures: [] };
    },
    filter: WAITING_RECORDS_FILTER,
    intervalMs: 20,
    idleIntervalMs,
    region: 'us-east-1',
    onError: (error) => {
      throw error;
    },
  });
}

const until = async (done: () => boolean) => {
  for (let tries = 0; !done() && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
};

it('hands over the live items that hold records, with their key and new image, as stream records of the table; not a pending one', async () => {
  const documents = DynamoDBDocumentClient.from(client);
  const live = keyRecord({ auditRecords: [record as never], auditPending: record.at });
  const pending = keyRecord({ pending: true, auditRecords: [record as never], auditPending: record.at });
  const quiet = keyRecord();
  for (const item of [live, pending, quiet]) await documents.send(new PutCommand({ TableName: TABLE, Item: item }));
  const events: DynamoDBStreamEvent[] = [];
  start(events);
  await until(() => events.length > 0);
  const [first] = events[0].Records;
  expect(events[0].Records).toHaveLength(1);
  expect(first).toMatchObject({
    eventSource: 'aws:dynamodb',
    eventSourceARN: STREAM,
    dynamodb: { Keys: { keyHash: { S: live.keyHash } } },
  });
  expect(unmarshall(first.dynamodb?.NewImage as never)).toEqual(live);

  // Once its records are settled, the item is no longer handed over.
  await client.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { keyHash: { S: live.keyHash } },
      UpdateExpression: 'REMOVE auditRecords, auditPending',
    }),
  );
  const seen = events.length;
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(events.slice(seen).flatMap((event) => event.Records)).toEqual([]);
});

it('invokes one batch at a time, and a close waits for the one under way', async () => {
  const documents = DynamoDBDocumentClient.from(client);
  const waiting = keyRecord({ auditRecords: [record as never], auditPending: record.at });
  await documents.send(new PutCommand({ TableName: TABLE, Item: waiting }));
  const events: DynamoDBStreamEvent[] = [];
  let finish!: () => void;
  let finished = false;
  start(events, async () => {
    await new Promise<void>((resolve) => {
      finish = resolve;
    });
    finished = true;
  });
  await until(() => events.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(events).toHaveLength(1);
  const closing = (source as DynamoDbStreamSource).close();
  source = undefined;
  finish();
  await closing;
  expect(finished).toBe(true);
});

it('looks at once when told the tables changed, not only once idle', async () => {
  const tableName = 'feed-keys-woken';
  await ensureTable(client, createKeyTableInput(tableName));
  const documents = DynamoDBDocumentClient.from(client);
  const events: DynamoDBStreamEvent[] = [];
  start(events, undefined, { tableName, idleIntervalMs: 60_000 });
  // The first look, which finds nothing, then idle for a minute.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const waiting = keyRecord({ auditRecords: [record as never], auditPending: record.at });
  await documents.send(new PutCommand({ TableName: tableName, Item: waiting }));
  (source as DynamoDbStreamSource).tablesChanged();
  await until(() => events.length > 0);
  expect(events.flatMap((event) => event.Records.map((change) => change.dynamodb?.Keys?.keyHash.S))).toEqual([waiting.keyHash]);
});

it('reports records the function could not deliver, and looks for them again after the idle interval, not at once', async () => {
  const tableName = 'feed-failing';
  await ensureTable(client, createKeyTableInput(tableName));
  const failing = keyRecord({ auditRecords: [record as never], auditPending: record.at });
  await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: tableName, Item: failing }));
  const errors: string[] = [];
  let invocations = 0;
  source = startDynamoDbStreamSource({
    client,
    tables: [
      {
        tableName,
        keyAttributes: [KEY_TABLE.partitionKey],
        pendingIndex: KEY_TABLE.pendingAuditIndex.name,
        streamArn: STREAM,
      },
    ],
    handler: async (event) => {
      invocations += 1;
      return { batchItemFailures: event.Records.map((each) => ({ itemIdentifier: each.dynamodb?.SequenceNumber ?? '' })) };
    },
    filter: WAITING_RECORDS_FILTER,
    intervalMs: 20,
    idleIntervalMs: 60_000,
    region: 'us-east-1',
    onError: (error) => errors.push(String(error)),
  });
  await until(() => errors.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(errors).toEqual(['Error: 1 of 1 records were not delivered']);
  expect(invocations).toBe(1);
});
