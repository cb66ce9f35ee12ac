/**
 * The lifecycle rules against `npm start`, as a hostile tenant tried them: dates
 * out of range, a self-service key outliving itself, and rotation repeated,
 * of an expired key, or racing the authorizer.
 */
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ELIFECYCLE0000', secretAccessKey: 'lifecycle-secret-000000000000000000000' };
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const asKey = (apiKey: string, method: string, path: string, body?: unknown) =>
  call(server.baseUrl, method, path, { apiKey, body });
const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-lifecycle-rules');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

describe('dates', () => {
  it('a date past year 9999 is a 400, and nothing is written', async () => {
    const refused = await admin('POST', '/tenants/dates/keys', { name: 'n', expiresAt: '9999-12-31T23:59:59-05:00' });
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([{ path: 'expiresAt', message: expect.stringContaining('9999') }]);
    expect((await admin('GET', '/tenants/dates/keys')).json.items).toEqual([]);
  });
});

describe('a self-service key that expires', () => {
  let manager: { key: string; id: string };

  beforeAll(async () => {
    manager = (await admin('POST', '/tenants/expiring/keys', { name: 'Manager', scopes: ['keys:manage'], expiresAt: inHours(2) }))
      .json;
  });

  it('cannot clear its own expiry', async () => {
    const refused = await asKey(manager.key, 'PATCH', `/keys/${manager.id}`, { expiresAt: null });
    expect(refused.status).toBe(403);
    expect(refused.json.errors).toEqual([{ path: 'expiresAt', message: expect.stringContaining('cannot outlive') }]);
  });

  it('mints keys that expire with it at the latest, and never later', async () => {
    const minted = await asKey(manager.key, 'POST', '/keys', { name: 'Worker' });
    expect(minted.status).toBe(201);
    const own = await admin('GET', `/tenants/expiring/keys/${manager.id}`);
    expect(minted.json.expiresAt).toBe(own.json.expiresAt);
    expect((await asKey(manager.key, 'POST', '/keys', { name: 'Worker', expiresAt: inHours(3) })).status).toBe(403);
    expect((await asKey(manager.key, 'POST', '/keys', { name: 'Worker', expiresAt: null })).status).toBe(403);
  });
});

describe('rotation', () => {
  it('is single: rotating a rotated key is a 409, and the grace period holds two live keys, not three', async () => {
    const old = (await admin('POST', '/tenants/rotation/keys', { name: 'n' })).json;
    const first = await admin('POST', `/tenants/rotation/keys/${old.id}/rotate`, { gracePeriodSeconds: 3600 });
    expect(first.status).toBe(201);
    const second = await admin('POST', `/tenants/rotation/keys/${old.id}/rotate`, { gracePeriodSeconds: 3600 });
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toBe('application/problem+json');
    const listed = (await admin('GET', '/tenants/rotation/keys')).json.items;
    expect(
      listed.map((key: { id: string; status: string; rotatedTo: string | null }) => [key.id, key.status, key.rotatedTo]),
    ).toEqual([
      [first.json.id, 'active', null],
      [old.id, 'rotated', first.json.id],
    ]);
    for (const key of [old.key, first.json.key]) expect((await asKey(key, 'GET', '/whoami')).status).toBe(200);
  });

  it('of an expired key is a 409 that issues nothing', async () => {
    const soon = new Date(Date.now() + 1_500).toISOString();
    const expiring = (await admin('POST', '/tenants/rotation-expired/keys', { name: 'n', expiresAt: soon })).json;
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await admin('POST', `/tenants/rotation-expired/keys/${expiring.id}/rotate`, {})).status).toBe(409);
    expect((await admin('GET', '/tenants/rotation-expired/keys')).json.items).toHaveLength(1);
  });
});

describe('idempotent requests', () => {
  const once = (path: string, body: unknown, key: string) =>
    signedCall(server.baseUrl, ADMIN, 'POST', path, { body, headers: { 'Idempotency-Key': key } });

  it('a repeated create answers the same key, without its secret, and issues one key', async () => {
    const first = await once('/tenants/idempotent/keys', { name: 'CI' }, 'order-42');
    expect(first.status).toBe(201);
    const repeat = await once('/tenants/idempotent/keys', { name: 'CI' }, 'order-42');
    expect(repeat.status).toBe(200);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(repeat.headers.get('location')).toBe(first.headers.get('location'));
    expect(repeat.json).toEqual({ ...first.json, key: undefined, lastUsedAt: null });
    expect(repeat.json).not.toHaveProperty('key');
    expect((await admin('GET', '/tenants/idempotent/keys')).json.items).toHaveLength(1);
  });

  it('the same key with another body is a 422 that issues nothing', async () => {
    await once('/tenants/idempotent-mismatch/keys', { name: 'CI' }, 'k');
    const other = await once('/tenants/idempotent-mismatch/keys', { name: 'Other' }, 'k');
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect((await admin('GET', '/tenants/idempotent-mismatch/keys')).json.items).toHaveLength(1);
  });

  it('concurrent repeats issue exactly one key: one 201, the rest replays or told to retry', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => once('/tenants/idempotent-race/keys', { name: 'CI' }, 'race')),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.every((status) => [200, 201, 409].includes(status))).toBe(true);
    for (const told of answers.filter((answer) => answer.status === 409)) expect(told.headers.get('retry-after')).toBe('1');
    expect((await admin('GET', '/tenants/idempotent-race/keys')).json.items).toHaveLength(1);
  });

  it('a repeated rotation answers the same replacement, and rotates once', async () => {
    const old = (await admin('POST', '/tenants/idempotent-rotate/keys', { name: 'n' })).json;
    const first = await once(`/tenants/idempotent-rotate/keys/${old.id}/rotate`, {}, 'r-1');
    const repeat = await once(`/tenants/idempotent-rotate/keys/${old.id}/rotate`, {}, 'r-1');
    expect([first.status, repeat.status]).toEqual([201, 200]);
    expect(repeat.json).toMatchObject({ id: first.json.id, rotatedFrom: old.id });
    expect(repeat.json).not.toHaveProperty('key');
    expect((await admin('GET', '/tenants/idempotent-rotate/keys')).json.items).toHaveLength(2);
  });

  it('a malformed Idempotency-Key is a 400 naming the header', async () => {
    const refused = await once('/tenants/idempotent/keys', { name: 'CI' }, 'x'.repeat(256));
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
  });
});
