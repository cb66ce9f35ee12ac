/** The /keys routes behind the API key authorizer, and the scope they need. */
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ESELFSERVICE00', secretAccessKey: 'self-service-secret-000000000000000000000' };
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let managerKey: string;
let plainKey: string;

async function adminCreate(tenant: string, body: unknown): Promise<{ key: string; id: string }> {
  const created = await signedCall(server.baseUrl, ADMIN, 'POST', `/tenants/${tenant}/keys`, { body });
  expect(created.status).toBe(201);
  return created.json;
}

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-self-service');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
  managerKey = (await adminCreate('initech', { name: 'Manager', scopes: ['keys:manage'] })).key;
  plainKey = (await adminCreate('initech', { name: 'Plain', scopes: ['orders:read'] })).key;
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

const asKey = (apiKey: string, method: string, path: string, body?: unknown) =>
  call(server.baseUrl, method, path, { apiKey, body });

describe('self-service with a keys:manage key', () => {
  it('manages keys of its own tenant only', async () => {
    const created = await asKey(managerKey, 'POST', '/keys', { name: 'Child' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ tenantId: 'initech', name: 'Child', key: expect.stringMatching(/^ak_/) });
    expect(created.headers.get('location')).toBe(`/keys/${created.json.id}`);
    const childId = created.json.id;

    const listed = await asKey(managerKey, 'GET', '/keys?limit=100');
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((item: { tenantId: string }) => item.tenantId)).toEqual(['initech', 'initech', 'initech']);
    expect(listed.text).not.toContain('"key"');

    expect((await asKey(managerKey, 'GET', `/keys/${childId}`)).json).toMatchObject({ id: childId, name: 'Child' });
    expect((await asKey(managerKey, 'PATCH', `/keys/${childId}`, { name: 'Child 2' })).json.name).toBe('Child 2');

    const rotated = await asKey(managerKey, 'POST', `/keys/${childId}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.status).toBe(201);
    expect(rotated.headers.get('location')).toBe(`/keys/${rotated.json.id}`);
    expect((await asKey(created.json.key, 'GET', '/whoami')).status).toBe(401);
    expect((await asKey(rotated.json.key, 'GET', '/whoami')).status).toBe(200);

    expect((await asKey(managerKey, 'DELETE', `/keys/${rotated.json.id}`)).status).toBe(204);
    expect((await asKey(rotated.json.key, 'GET', '/whoami')).status).toBe(401);
  });

  it('cannot grant a scope its own key lacks', async () => {
    const before = await asKey(managerKey, 'GET', '/keys?limit=100');
    const refused = await asKey(managerKey, 'POST', '/keys', { name: 'Escalated', scopes: ['admin:all'] });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect((await asKey(managerKey, 'GET', '/keys?limit=100')).json).toEqual(before.json);
  });

  it('cannot see or touch another tenant’s key: 404, never 403', async () => {
    const foreign = await adminCreate('umbrella', { name: 'Foreign' });
    for (const [method, path, body] of [
      ['GET', `/keys/${foreign.id}`],
      ['PATCH', `/keys/${foreign.id}`, { enabled: false }],
      ['DELETE', `/keys/${foreign.id}`],
      ['POST', `/keys/${foreign.id}/rotate`, {}],
    ] as const) {
      expect((await asKey(managerKey, method, path, body)).status).toBe(404);
    }
    expect((await asKey(foreign.key, 'GET', '/whoami')).status).toBe(200);
  });
});

describe('a key without keys:manage', () => {
  it('gets 403 on every /keys route but 200 on /whoami', async () => {
    for (const [method, path] of [
      ['POST', '/keys'],
      ['GET', '/keys'],
      ['GET', '/keys/key_01J0000000000000000000000'],
      ['PATCH', '/keys/key_01J0000000000000000000000'],
      ['DELETE', '/keys/key_01J0000000000000000000000'],
      ['POST', '/keys/key_01J0000000000000000000000/rotate'],
    ]) {
      const response = await asKey(plainKey, method, path, method === 'POST' || method === 'PATCH' ? { name: 'x' } : undefined);
      expect(response.status).toBe(403);
      expect(response.json).toEqual({
        type: 'about:blank',
        title: 'Forbidden',
        status: 403,
        detail: 'The credentials do not grant access to this route.',
      });
    }
    const me = await asKey(plainKey, 'GET', '/whoami');
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ tenantId: 'initech', name: 'Plain', scopes: ['orders:read'] });
  });

  it('gains /keys when an admin grants the scope; a widening flushes no cache, so a cached answer keeps its TTL', async () => {
    const { key, id } = await adminCreate('initech', { name: 'Promoted' });
    const { key: cachedKey, id: cachedId } = await adminCreate('initech', { name: 'Promoted while cached' });
    expect((await asKey(cachedKey, 'GET', '/keys')).status).toBe(403);
    for (const keyId of [cachedId, id]) {
      const granted = await signedCall(server.baseUrl, ADMIN, 'PATCH', `/tenants/initech/keys/${keyId}`, {
        body: { scopes: ['keys:manage'] },
      });
      expect(granted.status).toBe(200);
    }
    // Its answer from before the grant is still cached (300 s here); the key that had none is allowed at once.
    expect((await asKey(cachedKey, 'GET', '/keys')).status).toBe(403);
    expect((await asKey(key, 'GET', '/keys')).status).toBe(200);
  });

  it('an admin narrowing its scopes takes them away at once, despite the cache', async () => {
    const { key, id } = await adminCreate('initech', { name: 'Demoted', scopes: ['keys:manage'] });
    expect((await asKey(key, 'GET', '/keys')).status).toBe(200);
    expect(
      (await signedCall(server.baseUrl, ADMIN, 'PATCH', `/tenants/initech/keys/${id}`, { body: { scopes: [] } })).status,
    ).toBe(200);
    expect((await asKey(key, 'GET', '/keys')).status).toBe(403);
    expect((await asKey(key, 'GET', '/whoami')).status).toBe(200);
  });
});
