/**
 * EventBridge gets every audit record within a minute of its change, whatever
 * becomes of the function that made it once it has answered (DESIGN §16): Lambda
 * freezes an environment as soon as its handler returns, so nothing a function
 * leaves to do after its answer can be relied on. Here the deployed create-key
 * handler runs in a process of its own against local mode's database
 * (test/support/frozen-function.ts), answers, and is stopped with SIGSTOP: the
 * record must still reach local EventBridge (DATA_DIR/events.jsonl), carried by
 * local mode's stand-in for the key table's stream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { signedCall } from '../support/api-client';
import { type DynaliteServer, startDynaliteServer } from '../support/dynalite-server';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EFROZEN0000000', secretAccessKey: 'frozen-secret-000000000000000000000000000' };
const TENANT = 'frozen-tenant';
/** The promise: every record on the bus within a minute of its change (docs/audit.md). */
const DELIVERY_BOUND_MS = 60_000;
const PLANS_FILE = resolve(__dirname, '../fixtures/roomy-plans.json');

let database: DynaliteServer;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let server: LocalServerProcess;

beforeAll(async () => {
  database = await startDynaliteServer();
  dataDir = await makeTempDir('e2e-frozen');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    DYNAMODB_ENDPOINT: database.endpoint,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
    PLANS_FILE,
  });
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await database?.close();
    await dataDir?.remove();
  }
});

/** The process's state, from /proc: `T` is stopped. */
async function stateOf(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

async function eventFor(keyId: string, until: number): Promise<Record<string, any> | undefined> {
  for (;;) {
    const text = await readFile(join(dataDir.path, 'events.jsonl'), 'utf8').catch(() => '');
    const event = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((candidate) => candidate.detail.keyId === keyId);
    if (event || Date.now() > until) return event;
    await delay(100);
  }
}

it(
  'delivers the record of a change whose function was frozen as soon as it answered, within the minute',
  async () => {
    // The tenant's usage plan is arranged by its first key, so the frozen function's create needs only the key table.
    const first = await signedCall(server.baseUrl, ADMIN, 'POST', `/tenants/${TENANT}/keys`, { body: { name: 'first' } });
    expect(first.status).toBe(201);

    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../support/frozen-function.ts'), TENANT], {
        cwd: resolve(__dirname, '../..'),
        env: {
          ...process.env,
          DYNAMODB_ENDPOINT: database.endpoint,
          PLANS_FILE,
          LOCAL_SERVER: server.baseUrl,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'frozen',
          AWS_SECRET_ACCESS_KEY: 'frozen',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const answer = JSON.parse(line.toString()) as { statusCode: number; body: string };
      const answeredAt = Date.now();
      expect(answer.statusCode).toBe(201);
      const created = JSON.parse(answer.body) as { id: string };

      // Frozen: it runs nothing more.
      for (let tries = 0; (await stateOf(child.pid as number)) !== 'T' && tries < 100; tries++) await delay(50);
      expect(await stateOf(child.pid as number)).toBe('T');

      const event = await eventFor(created.id, answeredAt + DELIVERY_BOUND_MS);
      expect(event).toMatchObject({
        'detail-type': 'key.created',
        source: 'api-key-service',
        detail: { keyId: created.id, keyName: 'frozen', tenantId: TENANT, action: 'key.created' },
      });
      expect(await stateOf(child.pid as number)).toBe('T');
    } finally {
      child?.kill('SIGKILL');
    }
  },
  DELIVERY_BOUND_MS + 60_000,
);
