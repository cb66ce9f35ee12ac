/**
 * No change without its record, with a real process killed before its delivery:
 * `npm start` on a database (test/support/fault-proxy.ts) that commits a key's
 * change with its record, then refuses the record's copy into the trail; the
 * server is killed (SIGKILL) with the record left only in the key; a new server
 * on the same data delivers it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { signedCall } from '../support/api-client';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EAUDITCRASH000', secretAccessKey: 'audit-crash-secret-00000000000000000000000' };
const TENANT = 'pied-piper';
const START_TIMEOUT_MS = 60_000;

let directory: Awaited<ReturnType<typeof makeTempDir>>;
let proxy: FaultProxy;
let server: LocalServerProcess | undefined;

const start = () =>
  startLocalServer(
    {
      DATA_DIR: join(directory.path, 'data'),
      DYNAMODB_ENDPOINT: proxy.endpoint,
      ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
      ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
    },
    START_TIMEOUT_MS,
  );
const admin = (method: string, path: string, body?: unknown) =>
  signedCall((server as LocalServerProcess).baseUrl, ADMIN, method, path, { body });
const actions = async (keyId: string) =>
  (await admin('GET', `/tenants/${TENANT}/audit?keyId=${keyId}`)).json.items.map(
    (record: { action: string; changes: Record<string, unknown> }) => [record.action, record.changes.name],
  );

beforeAll(async () => {
  directory = await makeTempDir('e2e-audit-crash');
  proxy = await startFaultProxy({ path: join(directory.path, 'dynamodb') });
  server = await start();
}, 2 * START_TIMEOUT_MS);

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await proxy?.close();
    await directory?.remove();
  }
});

/** The events local EventBridge received for the key, once there are `count` of them (the promised minute at most). */
async function eventsOf(keyId: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await readFile(join(directory.path, 'data', 'events.jsonl'), 'utf8').catch(() => '');
    const types = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((event) => event.detail.keyId === keyId)
      .map((event) => event['detail-type']);
    if (types.length >= count || Date.now() > deadline) return types;
    await delay(100);
  }
}

it(
  'a change committed by a process that died before its record reached the trail is recorded all the same',
  async () => {
    const created = (await admin('POST', `/tenants/${TENANT}/keys`, { name: 'first' })).json;
    expect(await actions(created.id)).toEqual([['key.created', { old: null, new: 'first' }]]);
    expect(await eventsOf(created.id, 1)).toEqual(['key.created']);

    // The change and its record land in the key (UpdateItem); the record's copy into the trail (PutItem) never does.
    proxy.setFault({ kind: 'throttled', fraction: 1, operations: ['PutItem'] });
    const renamed = await admin('PATCH', `/tenants/${TENANT}/keys/${created.id}`, { name: 'second' });
    expect(renamed.status).toBe(200);
    // It reads back at once, from the key it waits in; it is not published while the trail refuses it.
    expect(await actions(created.id)).toEqual([
      ['key.updated', { old: 'first', new: 'second' }],
      ['key.created', { old: null, new: 'first' }],
    ]);
    await delay(1_000);
    expect(await eventsOf(created.id, 1)).toEqual(['key.created']);

    // The process dies with the record only in the key.
    process.kill((server as LocalServerProcess).serverPid(), 'SIGKILL');
    await (server as LocalServerProcess).stop();
    server = undefined;
    proxy.setFault({ kind: 'none' });
    server = await start();

    // The new server's delivery finds it waiting, and delivers it; the key's next change is recorded after it.
    expect(await eventsOf(created.id, 2)).toEqual(['key.created', 'key.updated']);
    expect((await admin('PATCH', `/tenants/${TENANT}/keys/${created.id}`, { name: 'third' })).status).toBe(200);
    expect(await actions(created.id)).toEqual([
      ['key.updated', { old: 'second', new: 'third' }],
      ['key.updated', { old: 'first', new: 'second' }],
      ['key.created', { old: null, new: 'first' }],
    ]);
    expect(await eventsOf(created.id, 3)).toEqual(['key.created', 'key.updated', 'key.updated']);
  },
  3 * START_TIMEOUT_MS,
);
