/**
 * The small DynamoDB client of the authorizer and POST /verify against a
 * database that fails as DynamoDB does (test/support/fault-proxy.ts): each case
 * of the SDK's standard retry mode, through the key store's read path, as the
 * functions call it. A retried GetItem is still one read for the verifier.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyRecord } from '../../src/domain/api-key';
import { StoreUnavailableError } from '../../src/domain/errors';
import { generateKey, hashKey, hintFor } from '../../src/domain/key-format';
import { KeyVerifier } from '../../src/domain/key-verification';
import { DynamoKeyStore } from '../../src/store/dynamo-key-store';
import { ensureTable } from '../../src/store/ensure-table';
import { KeyTableReads } from '../../src/store/key-table-reads';
import { SmallDynamoDbClient } from '../../src/store/small-dynamodb-client';
import { createKeyTableInput } from '../../src/store/table-schema';
import { type Fault, type FaultCounts, type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { makeTempDir } from '../support/temp-dir';

const TABLE = 'keys';
const CREDENTIALS = { accessKeyId: 'integration', secretAccessKey: 'integration' };
/** The standard mode's worst back-off for 3 throttled attempts (0.5 s and 1 s ceilings), and more for a loaded machine. */
const TEST_TIMEOUT_MS = 30_000;

let directory: Awaited<ReturnType<typeof makeTempDir>>;
let proxy: FaultProxy;
let client: SmallDynamoDbClient;
let reads: KeyTableReads;
let record: KeyRecord;

beforeAll(async () => {
  directory = await makeTempDir('small-dynamodb-client');
  proxy = await startFaultProxy({ path: join(directory.path, 'dynamodb') });
  const admin = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  try {
    await ensureTable(admin, createKeyTableInput(TABLE));
    const key = generateKey('ak');
    record = {
      keyHash: hashKey(key),
      keyId: 'key_01JSMALLCLIENT000000000000',
      tenantId: 'acme',
      name: 'small client',
      hint: hintFor(key),
      scopes: ['orders:read'],
      enabled: true,
      createdAt: '2030-01-01T00:00:00.000Z',
    };
    await new DynamoKeyStore(DynamoDBDocumentClient.from(admin), TABLE).create(record);
  } finally {
    admin.destroy();
  }
}, TEST_TIMEOUT_MS);

beforeEach(() => {
  // A client per test: its retry quota, clock offset and connections start afresh.
  client = new SmallDynamoDbClient({
    endpoint: new URL(proxy.endpoint),
    region: 'us-east-1',
    credentials: async () => CREDENTIALS,
  });
  reads = new KeyTableReads(client, TABLE);
});

afterEach(async () => {
  proxy.setFault({ kind: 'none' });
  await client.destroy();
});

afterAll(async () => {
  await proxy?.close();
  await directory?.remove();
});

/** The requests the proxy received while `run` ran, and what it did to them. */
async function counted<T>(fault: Fault, run: () => Promise<T>): Promise<{ value?: T; error?: unknown; counts: FaultCounts }> {
  const before = proxy.counts();
  proxy.setFault(fault);
  const outcome = await run().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const after = proxy.counts();
  const counts = { ...after };
  for (const name of Object.keys(counts) as (keyof FaultCounts)[]) counts[name] -= before[name];
  return { ...outcome, counts };
}

const transient = (error: unknown) => error instanceof StoreUnavailableError && error.transient;

describe('the small DynamoDB client, retrying as the SDK’s standard mode does', () => {
  it(
    'reads through throttling, and gives up after 3 attempts as a transient store error',
    async () => {
      const twice = await counted({ kind: 'throttled', fraction: 1, times: 2 }, () => reads.findByHash(record.keyHash));
      expect(twice.value).toEqual(record);
      expect(twice.counts).toMatchObject({ throttled: 2, requests: 3 });

      const always = await counted({ kind: 'throttled', fraction: 1 }, () => reads.findByHash(record.keyHash));
      expect(transient(always.error)).toBe(true);
      expect(((always.error as StoreUnavailableError).cause as Error).name).toBe('ProvisionedThroughputExceededException');
      expect(always.counts).toMatchObject({ throttled: 3, requests: 3 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'retries a 500, and gives up on one that lasts',
    async () => {
      const once = await counted({ kind: 'failing', times: 1 }, () => reads.findByHash(record.keyHash));
      expect(once.value).toEqual(record);
      expect(once.counts).toMatchObject({ failed: 1, requests: 2 });

      const always = await counted({ kind: 'failing' }, () => reads.findByHash(record.keyHash));
      expect(transient(always.error)).toBe(true);
      expect(always.counts).toMatchObject({ failed: 3, requests: 3 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'retries a reset of a kept-alive connection at once, as no attempt: three more attempts still follow',
    async () => {
      await reads.findByHash(record.keyHash); // a connection to keep alive
      // Reset on the reused connection, then two throttles: four requests, and the third attempt succeeds.
      const fault: Fault = {
        kind: 'reset',
        reusedOnly: true,
        times: 1,
        followedBy: { kind: 'throttled', fraction: 1, times: 2 },
      };
      const outcome = await counted(fault, () => reads.findByHash(record.keyHash));
      expect(outcome.value).toEqual(record);
      expect(outcome.counts).toMatchObject({ reset: 1, throttled: 2, requests: 4 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'counts a reset of a new connection as an attempt, like any network fault',
    async () => {
      const outcome = await counted({ kind: 'reset' }, () => reads.findByHash(record.keyHash));
      expect(transient(outcome.error)).toBe(true);
      // The client is new: no connection it had used before, so every reset is an attempt.
      expect(outcome.counts).toMatchObject({ reset: 3, requests: 3 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'corrects its clock from the server’s Date when its signature is refused as expired, and keeps the correction',
    async () => {
      const skewed: Fault = { kind: 'skewed', offsetMs: 60 * 60 * 1000 };
      const first = await counted(skewed, () => reads.findByHash(record.keyHash));
      expect(first.value).toEqual(record);
      expect(first.counts).toMatchObject({ skewRefused: 1, requests: 2 });

      const next = await counted(skewed, () => reads.findByHash(record.keyHash));
      expect(next.value).toEqual(record);
      expect(next.counts).toMatchObject({ skewRefused: 0, requests: 1 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'checks each answer’s x-amz-crc32, retrying one that does not match',
    async () => {
      const once = await counted({ kind: 'corrupted', times: 1 }, () => reads.findByHash(record.keyHash));
      expect(once.value).toEqual(record);
      expect(once.counts).toMatchObject({ corrupted: 1, requests: 2 });

      const always = await counted({ kind: 'corrupted' }, () => reads.findByHash(record.keyHash));
      expect(transient(always.error)).toBe(true);
      expect(((always.error as StoreUnavailableError).cause as Error).name).toBe('CRC32CheckFailed');
      expect(always.counts).toMatchObject({ corrupted: 3, requests: 3 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'gives up on an attempt that gets no answer within its timeout, and retries it',
    async () => {
      // Answered 1.5 s late: past the 1 s an attempt has.
      const late: Fault = { kind: 'slow', delayMs: 1_500, times: 1 };
      const once = await counted(late, () => reads.findByHash(record.keyHash));
      expect(once.value).toEqual(record);
      expect(once.counts).toMatchObject({ delayed: 1, requests: 2 });

      const always = await counted({ kind: 'slow', delayMs: 1_500 }, () => reads.findByHash(record.keyHash));
      expect(transient(always.error)).toBe(true);
      expect(((always.error as StoreUnavailableError).cause as Error).name).toBe('TimeoutError');
      expect(always.counts.requests).toBe(3);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'retries the lastUsedAt write as it retries reads, and a retried read is still one verification',
    async () => {
      const verifier = new KeyVerifier({ store: reads });
      const outcome = await counted({ kind: 'throttled', fraction: 1, times: 1, operations: ['GetItem'] }, () =>
        verifier.verify(generateKey('ak')),
      );
      expect(outcome.value).toEqual({ outcome: 'unknown' });
      expect(outcome.counts).toMatchObject({ throttled: 1, requests: 2 });

      const write = await counted({ kind: 'failing', times: 1, operations: ['UpdateItem'] }, () =>
        reads.recordUse(record.keyHash, '2030-01-01T00:10:00.000Z', '2030-01-01T00:09:00.000Z'),
      );
      expect(write.counts).toMatchObject({ failed: 1, requests: 2 });
      expect((await reads.findByHash(record.keyHash))?.lastUsedAt).toBe('2030-01-01T00:10:00.000Z');
    },
    TEST_TIMEOUT_MS,
  );
});
