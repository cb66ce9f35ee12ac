/**
 * Crash safety of local mode's embedded store: `npm start` on its own DynamoDB
 * (dynalite on LevelDB in DATA_DIR), killed with SIGKILL while clients create and
 * rename keys, over and over on the same data. After each restart, the tenant
 * written to just before the kill reads back whole, over the API only: every key
 * listed can be read (through the index and, by its key, through the table, which
 * must agree) and changed; every acknowledged change is there; no key is listed
 * that was never created; and the trail holds exactly one record of every change
 * that landed, answered or not, and none of a change that did not.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type ApiResponse, call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ESTORECRASH000', secretAccessKey: 'store-crash-secret-000000000000000000000000' };
const CYCLES = 20;
/** Clients that each create a key and then rename it, one request after another. */
const RENAMERS = 12;
/** Clients that create key after key. */
const CREATORS = 4;
/** How long the clients write before the kill, at random within these bounds. */
const WRITING_MS = { min: 300, max: 1_000 };
const START_TIMEOUT_MS = 60_000;
/** A request the kill cut off fails at once; this only ends one that hangs. */
const REQUEST_TIMEOUT_MS = 20_000;

let directory: Awaited<ReturnType<typeof makeTempDir>>;
let server: LocalServerProcess | undefined;

const start = async () => {
  server = await startLocalServer(
    {
      DATA_DIR: directory.path,
      ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
      ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
      // Every authentication reads the table itself.
      AUTHORIZER_CACHE_TTL_SECONDS: '0',
    },
    START_TIMEOUT_MS,
  );
  return server;
};

const admin = (method: string, path: string, body?: unknown) =>
  signedCall((server as LocalServerProcess).baseUrl, ADMIN, method, path, {
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });

/** A key as the clients know it: its names as acknowledged, and one it was being given when the server died. */
interface TrackedKey {
  id?: string;
  /** The plaintext, where its create was answered. */
  secret?: string;
  names: string[];
  /** A create or rename sent and never answered with success: it may have landed or not. */
  unconfirmed?: string;
}

/** A write whose answer says it landed; anything else (no answer, a 5xx) may or may not have. */
async function landed(write: () => Promise<ApiResponse>, expected: number): Promise<ApiResponse | undefined> {
  try {
    const response = await write();
    return response.status === expected ? response : undefined;
  } catch {
    return undefined; // the connection died with the server
  }
}

/**
 * Writes to `tenant` as its `manager` key (self-service, so the clients sign
 * nothing and keep the server busy) until the server is killed: each client stops
 * at its first write without a success answer, the one the kill cut off or, when
 * this process had every answer in already (a quick server, a busy test machine),
 * the next one, which the dead server refuses.
 */
async function writeUntilKilled(manager: string): Promise<TrackedKey[]> {
  const keys: TrackedKey[] = [];
  const asManager = (method: string, path: string, name: string) => () =>
    call((server as LocalServerProcess).baseUrl, method, path, {
      apiKey: manager,
      body: { name },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  const create = async (name: string): Promise<TrackedKey | undefined> => {
    const key: TrackedKey = { names: [], unconfirmed: name };
    keys.push(key);
    const created = await landed(asManager('POST', '/keys', name), 201);
    if (!created) return undefined;
    Object.assign(key, { id: created.json.id, secret: created.json.key, names: [name], unconfirmed: undefined });
    return key;
  };
  const renamer = async (client: number) => {
    const key = await create(`r${client}`);
    for (let round = 1; key; round++) {
      const name = `r${client}-${round}`;
      key.unconfirmed = name;
      if (!(await landed(asManager('PATCH', `/keys/${key.id}`, name), 200))) return;
      key.names.push(name);
      key.unconfirmed = undefined;
    }
  };
  const creator = async (client: number) => {
    for (let round = 1; ; round++) if (!(await create(`c${client}-${round}`))) return;
  };
  await Promise.all([
    ...Array.from({ length: RENAMERS }, (_, client) => renamer(client)),
    ...Array.from({ length: CREATORS }, (_, client) => creator(client)),
  ]);
  return keys;
}

async function readAll(path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page = await admin('GET', `${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.json.items);
    cursor = page.json.nextCursor;
  } while (cursor);
  return items;
}

interface Tally {
  landedUnanswered: number;
  lostUnanswered: number;
}

/**
 * Checks the tenant against what its clients were told, and returns what does
 * not hold. Each listed key is also renamed once more, which must work.
 */
async function problemsOf(tenant: string, keys: TrackedKey[], tally: Tally): Promise<string[]> {
  const problems: string[] = [];
  const listed = await readAll(`/tenants/${tenant}/keys`);
  const expectedRecords = new Map<string, [string | null, string][]>();
  for (const item of listed) {
    // A create that was never answered is known by its name: it either landed, or nothing of it did.
    const key = keys.find((known) => known.id === item.id) ?? keys.find((known) => !known.id && known.unconfirmed === item.name);
    if (!key) {
      problems.push(`${item.id} (${item.name}) is listed, but no client created it`);
      continue;
    }
    key.id = item.id;
    if (key.unconfirmed === item.name) {
      key.names.push(item.name);
      tally.landedUnanswered++;
    } else if (item.name !== key.names.at(-1)) {
      problems.push(`${item.id} is listed as ${item.name}, but its clients last set ${key.names.at(-1)}`);
      continue;
    } else if (key.unconfirmed !== undefined) {
      tally.lostUnanswered++;
    }
    key.unconfirmed = undefined;

    const read = await admin('GET', `/tenants/${tenant}/keys/${item.id}`);
    if (read.status !== 200 || read.json.name !== item.name) {
      problems.push(`${item.id} is listed as ${item.name}, but reads ${read.status} ${read.json?.name}`);
    }
    // /whoami names the key as the table's own item holds it, not as the index does.
    if (key.secret) {
      const whoami = await call((server as LocalServerProcess).baseUrl, 'GET', '/whoami', { apiKey: key.secret });
      if (whoami.status !== 200 || whoami.json.name !== item.name) {
        problems.push(`${item.id} is listed as ${item.name}, but its key authenticates as ${whoami.status} ${whoami.json?.name}`);
      }
    }
    const checked = `${item.name}-checked`;
    const changed = await admin('PATCH', `/tenants/${tenant}/keys/${item.id}`, { name: checked });
    if (changed.status !== 200) problems.push(`${item.id} cannot be changed: ${changed.status} ${changed.text}`);
    else key.names.push(checked);
    expectedRecords.set(
      item.id,
      key.names.map((name, index) => [index === 0 ? null : key.names[index - 1], name]),
    );
  }
  for (const key of keys) {
    if (key.id && !expectedRecords.has(key.id)) problems.push(`${key.id} (${key.names.at(-1)}) was created, but is not listed`);
    if (!key.id && key.unconfirmed !== undefined) tally.lostUnanswered++;
  }

  // Oldest first: each key's created record, then one per rename that landed, in order.
  const trail = (await readAll(`/tenants/${tenant}/audit`)).reverse();
  const recorded = new Map<string, [string | null, string][]>();
  for (const record of trail) {
    const changes = recorded.get(record.keyId) ?? [];
    changes.push([record.changes.name?.old ?? null, record.changes.name?.new]);
    recorded.set(record.keyId, changes);
  }
  for (const [keyId, changes] of recorded) {
    if (!expectedRecords.has(keyId))
      problems.push(`the trail records ${JSON.stringify(changes)} of ${keyId}, which is not listed`);
  }
  for (const [keyId, changes] of expectedRecords) {
    const found = recorded.get(keyId) ?? [];
    if (JSON.stringify(found) !== JSON.stringify(changes)) {
      problems.push(`${keyId}: the trail records ${JSON.stringify(found)}, but ${JSON.stringify(changes)} landed`);
    }
  }
  return problems;
}

beforeAll(async () => {
  directory = await makeTempDir('e2e-store-crash');
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await directory?.remove();
  }
});

it(
  `loses nothing answered and records every change that landed, over ${CYCLES} kills during writes`,
  async () => {
    const tally: Tally = { landedUnanswered: 0, lostUnanswered: 0 };
    const failures: string[] = [];
    await start();
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const tenant = `crash-${cycle}`;
      // Looked up before the clients start: a look-up just before the kill would hold their answers back meanwhile.
      const serverPid = (server as LocalServerProcess).serverPid();
      const manager = await admin('POST', `/tenants/${tenant}/keys`, { name: 'manager', scopes: ['keys:manage'] });
      expect(manager.status).toBe(201);
      const writing = writeUntilKilled(manager.json.key);
      await delay(WRITING_MS.min + Math.random() * (WRITING_MS.max - WRITING_MS.min));
      process.kill(serverPid, 'SIGKILL');
      const keys: TrackedKey[] = [{ id: manager.json.id, secret: manager.json.key, names: ['manager'] }, ...(await writing)];
      await (server as LocalServerProcess).stop();
      server = undefined;

      await start();
      failures.push(...(await problemsOf(tenant, keys, tally)).map((problem) => `cycle ${cycle}: ${problem}`));
    }
    expect(failures).toEqual([]);
    // The kills cut writes off both ways: some had landed before the kill, some had not.
    expect(tally.landedUnanswered).toBeGreaterThan(0);
    expect(tally.lostUnanswered).toBeGreaterThan(0);
  },
  CYCLES * START_TIMEOUT_MS,
);
