/**
 * Expiry beats the authorizer cache: when a key's expiresAt passes, or a
 * rotation's grace period ends, the handlers' one-time EventBridge Scheduler
 * schedule (served by local mode) queues a flush, which the flusher runs, so a
 * cached Allow stops working within a few seconds rather than after the 300 s
 * TTL. There is one schedule per key: a later change of expiresAt moves it
 * (UpdateSchedule).
 */
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ESCHEDULE00000', secretAccessKey: 'schedule-secret-00000000000000000000000' };
/**
 * The handlers schedule the flush for the first whole second at least 1 s after the expiry (at most 2 s after
 * it), and the flusher's event source gathers messages for up to 1 s before it runs.
 */
const FLUSH_AFTER_EXPIRY_MS = 3_000;
/** Leeway for the timer, the request and the clocks, which here are one clock. */
const MARGIN_MS = 400;
/**
 * One server per scenario, so that they run side by side without one's
 * flushes (rotating and updating flush at once too) clearing another's cache.
 */
const servers: LocalServerProcess[] = [];
const dataDirs: Awaited<ReturnType<typeof makeTempDir>>[] = [];

beforeAll(async () => {
  await Promise.all(
    [0, 1, 2].map(async (index) => {
      dataDirs[index] = await makeTempDir('e2e-scheduled-flush');
      servers[index] = await startLocalServer({
        DATA_DIR: dataDirs[index].path,
        ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
        ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
        AUTHORIZER_CACHE_TTL_SECONDS: '300',
      });
    }),
  );
});

afterAll(async () => {
  const stopped = await Promise.allSettled(servers.map((server) => server.stop()));
  await Promise.all(dataDirs.map((dataDir) => dataDir.remove()));
  for (const result of stopped) if (result.status === 'rejected') throw result.reason; // a process left behind
});

const admin = (server: LocalServerProcess, method: string, path: string, body?: unknown) =>
  signedCall(server.baseUrl, ADMIN, method, path, { body });
const whoamiStatus = async (server: LocalServerProcess, key: string) =>
  (await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status;
const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

/**
 * Checks the key right before `expiresAt` (200, and so a fresh Allow in the cache),
 * just after it (still 200: the cached Allow outlives the key until the flush),
 * and once the scheduled flush is due (401).
 */
async function expectStopsAt(server: LocalServerProcess, key: string, expiresAt: number): Promise<void> {
  await sleepUntil(expiresAt - 300);
  expect(await whoamiStatus(server, key)).toBe(200);
  await sleepUntil(expiresAt + 200);
  expect(await whoamiStatus(server, key)).toBe(200);
  await sleepUntil(expiresAt + FLUSH_AFTER_EXPIRY_MS + MARGIN_MS);
  expect(await whoamiStatus(server, key)).toBe(401);
}

describe('scheduled authorizer cache flushes, with a 300 s authorizer cache', () => {
  it.concurrent('stop a key once its expiresAt has passed', async () => {
    const server = servers[0];
    // Half past a second, so that "just after expiry" is well before the flush, which falls on a whole second.
    const expiresAt = Math.floor(Date.now() / 1000) * 1000 + 3_500;
    const created = await admin(server, 'POST', '/tenants/expiring/keys', {
      name: 'Short-lived',
      expiresAt: new Date(expiresAt).toISOString(),
    });
    expect(created.status).toBe(201);
    expect(await whoamiStatus(server, created.json.key)).toBe(200);
    await expectStopsAt(server, created.json.key, expiresAt);
    expect(server.output()).not.toContain('could not be scheduled');
  });

  it.concurrent('stop the old key of a rotation once gracePeriodSeconds has passed, and keep the new one', async () => {
    const server = servers[1];
    const { key: oldKey, id: oldId } = (await admin(server, 'POST', '/tenants/expiring/keys', { name: 'Rotating' })).json;
    expect(await whoamiStatus(server, oldKey)).toBe(200);
    const rotated = await admin(server, 'POST', `/tenants/expiring/keys/${oldId}/rotate`, { gracePeriodSeconds: 2 });
    expect(rotated.status).toBe(201);
    expect(await whoamiStatus(server, oldKey)).toBe(200); // within the grace period
    expect(await whoamiStatus(server, rotated.json.key)).toBe(200);
    const graceEnds = Date.parse((await admin(server, 'GET', `/tenants/expiring/keys/${oldId}`)).json.expiresAt);
    expect(graceEnds - Date.now()).toBeGreaterThan(1_000);
    await expectStopsAt(server, oldKey, graceEnds);
    expect(await whoamiStatus(server, rotated.json.key)).toBe(200);
    expect(server.output()).not.toContain('could not be scheduled');
  });

  it.concurrent('stop a key at its new expiresAt when a PATCH moves it earlier, not at the one it had', async () => {
    const server = servers[2];
    const created = await admin(server, 'POST', '/tenants/expiring/keys', {
      name: 'Shortened',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(created.status).toBe(201);
    const { key, id } = created.json;
    expect(await whoamiStatus(server, key)).toBe(200);
    // Half past a second, as above. The key's one flush schedule exists already, so this moves it.
    const expiresAt = Math.floor(Date.now() / 1000) * 1000 + 3_500;
    const patched = await admin(server, 'PATCH', `/tenants/expiring/keys/${id}`, {
      expiresAt: new Date(expiresAt).toISOString(),
    });
    expect(patched.status).toBe(200);
    expect(Date.parse(patched.json.expiresAt)).toBe(expiresAt);
    expect(await whoamiStatus(server, key)).toBe(200);
    await expectStopsAt(server, key, expiresAt);
    expect(server.output()).not.toContain('could not be scheduled');
  });
});
