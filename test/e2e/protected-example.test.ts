/**
 * The example orders API against `npm start`, served at /examples/orders from the
 * same declarations as its CDK stack: a scope per method enforced by the gateway,
 * the key's context at the backend, and revocation at once despite the cache.
 */
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EORDERS0000000', secretAccessKey: 'orders-secret-0000000000000000000000000' };
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-orders');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
    AUTHORIZER_CACHE_TTL_SECONDS: '300',
  });
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const orders = (apiKey: string | undefined, method = 'GET', path = '/examples/orders') =>
  call(server.baseUrl, method, path, apiKey === undefined ? {} : { apiKey });
const newKey = async (tenant: string, scopes: string[], meta?: Record<string, string>) =>
  (await admin('POST', `/tenants/${tenant}/keys`, { name: 'Orders client', scopes, ...(meta ? { meta } : {}) })).json as {
    id: string;
    key: string;
  };

describe('the example orders API', () => {
  it('lets orders:read GET both routes and not POST; a key without scopes nothing; no key is 401', async () => {
    const reader = await newKey('shop', ['orders:read']);
    expect((await orders(reader.key)).status).toBe(200);
    expect((await orders(reader.key, 'GET', '/examples/orders/o-1')).status).toBe(200);
    const post = await orders(reader.key, 'POST');
    expect(post.status).toBe(403);
    expect(post.headers.get('content-type')).toBe('application/problem+json');
    const bare = await newKey('shop', []);
    expect((await orders(bare.key)).status).toBe(403);
    expect((await orders(bare.key, 'GET', '/examples/orders/o-1')).status).toBe(403);
    const none = await orders(undefined);
    expect(none.status).toBe(401);
    expect(none.json.title).toBe('Unauthorized');
    const writer = await newKey('shop', ['orders:write']);
    expect((await orders(writer.key, 'POST')).status).toBe(200);
    expect((await orders(writer.key)).status).toBe(403);
  });

  it('passes the backend the tenant, the key and its metadata', async () => {
    const reader = await newKey('meta-shop', ['orders:read'], { plan: 'gold', region: 'eu' });
    const answer = await orders(reader.key, 'GET', '/examples/orders/o-7');
    expect(answer.json).toEqual({
      method: 'GET',
      resource: '/orders/{orderId}',
      pathParameters: { orderId: 'o-7' },
      caller: {
        tenantId: 'meta-shop',
        keyId: reader.id,
        keyName: 'Orders client',
        scopes: ['orders:read'],
        meta: { plan: 'gold', region: 'eu' },
      },
    });
  });

  it('refuses a key the moment it is deleted or disabled, though its answer was cached a moment before', async () => {
    const deleted = await newKey('revoke', ['orders:read']);
    expect((await orders(deleted.key)).status).toBe(200);
    expect((await admin('DELETE', `/tenants/revoke/keys/${deleted.id}`)).status).toBe(204);
    expect((await orders(deleted.key)).status).toBe(401);

    const disabled = await newKey('revoke', ['orders:read']);
    expect((await orders(disabled.key, 'GET', '/examples/orders/o-1')).status).toBe(200);
    expect((await admin('PATCH', `/tenants/revoke/keys/${disabled.id}`, { enabled: false })).status).toBe(200);
    expect((await orders(disabled.key)).status).toBe(401);
  });

  it('after a rotation with no grace period, refuses the old key and takes the new one', async () => {
    const old = await newKey('rotate', ['orders:read']);
    expect((await orders(old.key)).status).toBe(200);
    const rotated = await admin('POST', `/tenants/rotate/keys/${old.id}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.status).toBe(201);
    expect((await orders(old.key)).status).toBe(401);
    expect((await orders(rotated.json.key)).status).toBe(200);
  });

  it('keeps its answers apart from the service API’s: a key cached on one API is judged afresh on the other', async () => {
    const manager = await newKey('apart', ['keys:manage']);
    expect((await call(server.baseUrl, 'GET', '/keys', { apiKey: manager.key })).status).toBe(200);
    expect((await orders(manager.key)).status).toBe(403);
  });
});
