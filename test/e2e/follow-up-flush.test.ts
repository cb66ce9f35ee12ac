/**
 * The follow-up flush. An authorizer run that read a key just before a revocation
 * can be cached after the revocation's own flush; the flusher clears the caches
 * again once no such run can still be in flight (FOLLOW_UP_DELAY_SECONDS later). Here the stale answer
 * is made by hand: a key is cached, then disabled in the table behind the API's
 * back, so that only a flush can make the gateway see it. A revocation of another
 * key must bring that flush, through the queue and the flusher, as deployed.
 */
import { createHash } from 'node:crypto';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { FOLLOW_UP_DELAY_SECONDS } from '../../src/domain/cache-flush';
import { FLUSH_QUEUE } from '../../src/flush-queue';
import { call, signedCall } from '../support/api-client';
import { type DynaliteServer, startDynaliteServer } from '../support/dynalite-server';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EFOLLOWUP00000', secretAccessKey: 'follow-up-secret-000000000000000000000' };
const TABLE = 'e2e-follow-up-keys';
/** What a machine loaded by other tests adds: scheduling, this test's polling (every 250 ms), the request that sees it. */
const LOADED_MACHINE_SLACK_MS = 5_000;
/** One delivery of the follow-up: gathered for at most the event source's batching window, flushed within the flusher's timeout. */
const DELIVERY_SECONDS = FLUSH_QUEUE.maxBatchingWindowSeconds + FLUSH_QUEUE.flusherTimeoutSeconds;
/**
 * What the code promises: the follow-up is queued FOLLOW_UP_DELAY_SECONDS after the delete's own flush and
 * delivered; a delivery whose flush failed (a flush call that timed out on a loaded machine, say) comes back once the
 * queue's visibility timeout has passed, and is delivered again. Both are the promise, as deployed.
 */
const FOLLOW_UP_WITHIN_MS =
  (FOLLOW_UP_DELAY_SECONDS + DELIVERY_SECONDS + FLUSH_QUEUE.visibilityTimeoutSeconds + DELIVERY_SECONDS) * 1000 +
  LOADED_MACHINE_SLACK_MS;
let database: DynaliteServer;
let client: DynamoDBClient;
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  database = await startDynaliteServer();
  client = new DynamoDBClient({
    endpoint: database.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  dataDir = await makeTempDir('e2e-follow-up');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    DYNAMODB_ENDPOINT: database.endpoint,
    TABLE_NAME: TABLE,
    AUTHORIZER_CACHE_TTL_SECONDS: '300',
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    client?.destroy();
    await database?.close();
    await dataDir?.remove();
  }
});

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const whoami = async (key: string) => (await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it(
  'a revocation flushes the caches again a few seconds later, clearing an answer cached after its first flush',
  async () => {
    const revoked = (await admin('POST', '/tenants/follow-up/keys', { name: 'Revoked' })).json;
    const stale = (await admin('POST', '/tenants/follow-up/keys', { name: 'Stale' })).json;
    expect(await whoami(stale.key)).toBe(200);
    expect((await admin('DELETE', `/tenants/follow-up/keys/${revoked.id}`)).status).toBe(204);
    const deletedAt = Date.now();
    // Cached after the delete's own flush, then disabled where no flush follows.
    expect(await whoami(stale.key)).toBe(200);
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { keyHash: { S: createHash('sha256').update(stale.key).digest('hex') } },
        UpdateExpression: 'SET enabled = :off',
        ExpressionAttributeValues: { ':off': { BOOL: false } },
      }),
    );
    await sleep(1_000);
    expect(await whoami(stale.key)).toBe(200);
    // Then the follow-up: polled, so that the test waits no longer than it must.
    let status = 200;
    while (status === 200 && Date.now() - deletedAt < FOLLOW_UP_WITHIN_MS) {
      await sleep(250);
      status = await whoami(stale.key);
    }
    expect(status).toBe(401);
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(FOLLOW_UP_DELAY_SECONDS * 1000);
  },
  FOLLOW_UP_WITHIN_MS + 30_000,
);
