/**
 * The admin routes end to end, over HTTP against `npm start`: create, read,
 * list, update, rotate and delete, and that revocation beats the authorizer cache.
 */
import { type ApiResponse, call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ELIFECYCLE0000', secretAccessKey: 'lifecycle-secret-0000000000000000000000' };
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-lifecycle');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
    AUTHORIZER_CACHE_TTL_SECONDS: '300',
  });
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const whoami = (key: string) => call(server.baseUrl, 'GET', '/whoami', { apiKey: key });

async function createKey(tenant: string, body: unknown = { name: 'CI pipeline' }): Promise<ApiResponse> {
  const created = await admin('POST', `/tenants/${tenant}/keys`, body);
  expect(created.status).toBe(201);
  return created;
}

/** Caches the authorizer's answer for the key, so the next check proves the cache was flushed. */
async function expectWorking(key: string): Promise<void> {
  expect((await whoami(key)).status).toBe(200);
}

describe('admin key lifecycle', () => {
  it('creates a key whose secret is shown only in the create response', async () => {
    const created = await createKey('acme', { name: 'CI pipeline', scopes: ['orders:read'], expiresAt: '2099-01-01T00:00:00Z' });
    const { key, id } = created.json;
    expect(created.headers.get('location')).toBe(`/tenants/acme/keys/${id}`);
    expect(key).toMatch(/^ak_[0-9A-Za-z]{38}$/);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^key_[0-9A-HJKMNP-TV-Z]{26}$/),
      tenantId: 'acme',
      name: 'CI pipeline',
      hint: `ak_…${key.slice(-4)}`,
      scopes: ['orders:read'],
      enabled: true,
      createdAt: expect.any(String),
      expiresAt: '2099-01-01T00:00:00.000Z',
      lastUsedAt: null,
      status: 'active',
      rotatedTo: null,
      revokedAt: null,
      revokedReason: null,
      meta: {},
      key,
    });

    const got = await admin('GET', `/tenants/acme/keys/${id}`);
    expect(got.status).toBe(200);
    const listed = await admin('GET', '/tenants/acme/keys');
    expect(listed.status).toBe(200);
    for (const response of [got, listed]) {
      expect(response.text).not.toContain(key);
      expect(response.text).not.toContain('"key"');
      expect(response.text).not.toContain('keyHash');
    }
    expect(listed.json.items.map((item: { id: string }) => item.id)).toContain(id);
  });

  it('authenticates the key on /whoami with its tenant, id, name and scopes', async () => {
    const { key, id } = (await createKey('acme', { name: 'Reporting', scopes: ['reports:read', 'orders:read'] })).json;
    const response = await whoami(key);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ tenantId: 'acme', keyId: id, name: 'Reporting', scopes: ['reports:read', 'orders:read'] });
  });

  it('lists newest first, pages with limit and cursor, and never shows another tenant’s keys', async () => {
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) ids.push((await createKey('paging', { name })).json.id);
    await createKey('paging-other');

    const first = await admin('GET', '/tenants/paging/keys?limit=2');
    expect(first.json.items.map((item: { id: string }) => item.id)).toEqual([ids[2], ids[1]]);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await admin('GET', `/tenants/paging/keys?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
  });

  it('answers 404 when another tenant asks for the key', async () => {
    const { id } = (await createKey('acme')).json;
    const response = await admin('GET', `/tenants/globex/keys/${id}`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await admin('DELETE', `/tenants/globex/keys/${id}`)).status).toBe(404);
    expect((await admin('GET', `/tenants/acme/keys/${id}`)).status).toBe(200);
  });

  it('updates name, scopes and expiry', async () => {
    const { key, id } = (await createKey('acme')).json;
    const updated = await admin('PATCH', `/tenants/acme/keys/${id}`, { name: 'Renamed', scopes: ['a:b'], expiresAt: null });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ id, name: 'Renamed', scopes: ['a:b'], expiresAt: null });
    expect(updated.text).not.toContain(key);
    expect((await whoami(key)).json).toMatchObject({ name: 'Renamed', scopes: ['a:b'] });
  });

  it('stops a deleted key at once, despite the 300 s authorizer cache', async () => {
    const { key, id } = (await createKey('acme')).json;
    await expectWorking(key);
    const deleted = await admin('DELETE', `/tenants/acme/keys/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await whoami(key)).status).toBe(401);
    expect((await admin('GET', `/tenants/acme/keys/${id}`)).status).toBe(404);
  });

  it('stops a disabled key at once, and lets it back in when enabled again', async () => {
    const { key, id } = (await createKey('acme')).json;
    await expectWorking(key);
    expect((await admin('PATCH', `/tenants/acme/keys/${id}`, { enabled: false })).json.enabled).toBe(false);
    expect((await whoami(key)).status).toBe(401);
    expect((await admin('PATCH', `/tenants/acme/keys/${id}`, { enabled: true })).status).toBe(200);
    expect((await whoami(key)).status).toBe(200);
  });

  it('rotates with no grace period: the old key stops at once, the new one works', async () => {
    const { key: oldKey, id: oldId } = (await createKey('acme', { name: 'Rotating', scopes: ['orders:read'] })).json;
    await expectWorking(oldKey);
    const rotated = await admin('POST', `/tenants/acme/keys/${oldId}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.status).toBe(201);
    expect(rotated.json).toMatchObject({
      rotatedFrom: oldId,
      name: 'Rotating',
      scopes: ['orders:read'],
      key: expect.stringMatching(/^ak_/),
    });
    expect(rotated.headers.get('location')).toBe(`/tenants/acme/keys/${rotated.json.id}`);
    expect((await whoami(oldKey)).status).toBe(401);
    expect((await whoami(rotated.json.key)).json).toMatchObject({ keyId: rotated.json.id });
  });

  it('rotates with a grace period: both keys work until it ends', async () => {
    const { key: oldKey, id: oldId } = (await createKey('acme')).json;
    await expectWorking(oldKey);
    const rotated = await admin('POST', `/tenants/acme/keys/${oldId}/rotate`, { gracePeriodSeconds: 3600 });
    expect(rotated.status).toBe(201);
    expect((await whoami(oldKey)).status).toBe(200);
    expect((await whoami(rotated.json.key)).status).toBe(200);
    expect((await admin('GET', `/tenants/acme/keys/${oldId}`)).json.expiresAt).toEqual(expect.any(String));
  });

  it('records when a key was last used', async () => {
    const { key, id } = (await createKey('acme')).json;
    await expectWorking(key);
    expect((await admin('GET', `/tenants/acme/keys/${id}`)).json.lastUsedAt).toEqual(expect.any(String));
  });
});
