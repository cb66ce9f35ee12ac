/**
 * POST /verify against `npm start`, one outcome per case, with the authorizer
 * alongside for comparison; and GET /openapi.json, served to anyone.
 */
import { openApiDocument } from '../../src/openapi/document';
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EVERIFY0000000', secretAccessKey: 'verify-secret-000000000000000000000000' };
const TENANT = 'verify';
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const verify = (body: unknown) => admin('POST', '/verify', body);
const whoami = (key: string) => call(server.baseUrl, 'GET', '/whoami', { apiKey: key });

async function createKey(body: unknown): Promise<{ id: string; key: string }> {
  const created = await admin('POST', `/tenants/${TENANT}/keys`, body);
  expect(created.status).toBe(201);
  return created.json;
}

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-verify');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

describe('POST /verify', () => {
  it('valid: the key’s tenant, id, name, scopes and metadata, never the key; its use is recorded', async () => {
    const { id, key } = await createKey({ name: 'Orders backend', scopes: ['orders:read', 'orders:write'] });
    for (const body of [{ key }, { key, scope: 'orders:write' }]) {
      const answer = await verify(body);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        valid: true,
        tenantId: TENANT,
        keyId: id,
        name: 'Orders backend',
        scopes: ['orders:read', 'orders:write'],
        meta: {},
      });
      expect(answer.text).not.toContain(key);
    }
    expect((await admin('GET', `/tenants/${TENANT}/keys/${id}`)).json.lastUsedAt).toEqual(expect.any(String));
  });

  it('INSUFFICIENT_SCOPE for a valid key without the scope', async () => {
    const { key } = await createKey({ name: 'Reader', scopes: ['orders:read'] });
    expect((await verify({ key, scope: 'orders:write' })).json).toEqual({ valid: false, code: 'INSUFFICIENT_SCOPE' });
  });

  it('NOT_FOUND for malformed, unknown, disabled and expired keys: every key the authorizer refuses', async () => {
    const disabled = await createKey({ name: 'Disabled' });
    expect((await admin('PATCH', `/tenants/${TENANT}/keys/${disabled.id}`, { enabled: false })).status).toBe(200);
    const retired = await createKey({ name: 'Rotated away' });
    // No grace period: the old key expires as the rotation finishes.
    expect((await admin('POST', `/tenants/${TENANT}/keys/${retired.id}/rotate`, { gracePeriodSeconds: 0 })).status).toBe(201);
    const deleted = await createKey({ name: 'Deleted' });
    expect((await admin('DELETE', `/tenants/${TENANT}/keys/${deleted.id}`)).status).toBe(204);
    const badChecksum = `${deleted.key.slice(0, -1)}${deleted.key.endsWith('A') ? 'B' : 'A'}`;

    for (const key of ['ak_not_a_real_key', badChecksum, deleted.key, disabled.key, retired.key]) {
      expect({ key, answer: (await verify({ key })).json }).toEqual({ key, answer: { valid: false, code: 'NOT_FOUND' } });
      expect((await whoami(key)).status).toBe(401);
    }
  });

  it('400 for a body that is not a verify request; 403 without a signature', async () => {
    expect((await verify({ key: 42 })).status).toBe(400);
    expect((await verify({ key: 'ak_x', tenantId: TENANT })).status).toBe(400);
    expect((await call(server.baseUrl, 'POST', '/verify', { body: { key: 'ak_x' } })).status).toBe(403);
  });
});

describe('GET /openapi.json', () => {
  it('is served to anyone, naming the server it came from, and is the generated document', async () => {
    const served = await call(server.baseUrl, 'GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('application/json');
    expect(served.json).toEqual({ ...openApiDocument(), servers: [{ url: '/' }] });
  });
});
