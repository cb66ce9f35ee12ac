/**
 * The typed client against `npm start`, with credentials from the AWS SDK's
 * default chain (here, the environment), as a back office would run it. A small
 * proxy in front of the server injects a 503 to show the client retries it.
 */

import { once } from 'node:events';
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyServiceClient, ApiProblemError, SelfServiceClient } from '../../src/client';
import { generateKey } from '../../src/domain/key-format';
import { PROBLEM_HEADERS, problem } from '../../src/problem';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { documentedFetch } from '../support/openapi-validation';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ECLIENT0000000', secretAccessKey: 'client-secret-000000000000000000000000' };
const TENANT = 'client';
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let client: ApiKeyServiceClient;
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-client');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
  // The default chain reads these first, as it would in a back office's shell.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: ADMIN.accessKeyId, AWS_SECRET_ACCESS_KEY: ADMIN.secretAccessKey });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  client = new ApiKeyServiceClient({ endpoint: server.baseUrl, fetch: documentedFetch });
});

afterAll(async () => {
  process.env = savedEnvironment;
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

/** In front of the server: answers the next `failures` requests with the API's own 503, forwards the rest unchanged. */
async function flakyProxy(target: string, failures: number): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const seen: string[] = [];
  let left = failures;
  const proxy: Server = createServer((incoming, outgoing) => {
    seen.push(`${incoming.method} ${incoming.url}`);
    if (left > 0) {
      left--;
      const body = problem(503, 'Service Unavailable', 'The service is temporarily unavailable; retry shortly.');
      outgoing.writeHead(503, { ...PROBLEM_HEADERS, 'Retry-After': '1' }).end(JSON.stringify(body));
      return;
    }
    // The Host header stays the proxy's, which is what the client signed.
    const upstream = forward(
      { hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(upstream);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      proxy.close();
      await once(proxy, 'close');
    },
  };
}

describe('ApiKeyServiceClient against npm start', () => {
  it('creates a key whose secret works, and verifies it', async () => {
    const created = await client.createKey(TENANT, { name: 'Back office', scopes: ['keys:manage', 'orders:read'] });
    expect(created).toMatchObject({
      tenantId: TENANT,
      name: 'Back office',
      status: 'active',
      key: expect.stringMatching(/^ak_/),
    });
    expect(await client.verifyKey(created.key, 'orders:read')).toEqual({
      valid: true,
      tenantId: TENANT,
      keyId: created.id,
      name: 'Back office',
      scopes: ['keys:manage', 'orders:read'],
      meta: {},
    });
    const self = new SelfServiceClient({ endpoint: server.baseUrl, apiKey: created.key, fetch: documentedFetch });
    expect(await self.whoami()).toMatchObject({ tenantId: TENANT, keyId: created.id });
  });

  it('revokes a key by id (admin and self-service) and by its secret (with no credentials), once each', async () => {
    const manager = await client.createKey(TENANT, { name: 'Manager', scopes: ['keys:manage'] });
    const self = new SelfServiceClient({ endpoint: server.baseUrl, apiKey: manager.key, fetch: documentedFetch });
    const [byAdmin, bySelf, bySecret] = await Promise.all(
      ['By admin', 'By a key', 'Leaked'].map((name) => client.createKey(TENANT, { name })),
    );
    expect(await client.revokeKey(TENANT, byAdmin.id, { reason: 'unused' })).toMatchObject({
      status: 'revoked',
      revokedReason: 'unused',
    });
    expect(await self.revokeKey(bySelf.id)).toMatchObject({ status: 'revoked', revokedReason: 'leaked' });
    const anonymous = new ApiKeyServiceClient({
      endpoint: server.baseUrl,
      credentials: async () => {
        throw new Error('POST /revoke needs no credentials');
      },
      fetch: documentedFetch,
    });
    const accepted = await anonymous.revokeKeyBySecret(bySecret.key);
    expect(
      await anonymous.revokeKeyBySecret('ak_000000000000000000000000000000000000000000').catch((error) => error),
    ).toMatchObject({
      status: 400,
    });
    expect(await anonymous.revokeKeyBySecret(generateKey())).toEqual(accepted);
    expect(await client.getKey(TENANT, bySecret.id)).toMatchObject({ status: 'revoked', revokedReason: 'leaked' });
    expect(await client.verifyKey(bySecret.key)).toEqual({ valid: false, code: 'NOT_FOUND' });
  });

  it("sets and reads a tenant's plan, and reads its usage as admin and as one of its keys", async () => {
    expect(await client.getTenant('client-plans')).toEqual({ id: 'client-plans', plan: 'free', createdAt: null });
    expect(await client.setTenantPlan('client-plans', 'pro')).toMatchObject({ id: 'client-plans', plan: 'pro' });
    const created = await client.createKey('client-plans', { name: 'Usage reader' });
    const self = new SelfServiceClient({ endpoint: server.baseUrl, apiKey: created.key, fetch: documentedFetch });
    const today = new Date().toISOString().slice(0, 10);
    // The self-service call itself counts: the gateway counts it before the handler reads the usage.
    expect(await self.usage({ from: today, to: today })).toEqual({ items: [{ date: today, requests: 1 }] });
    expect(await client.getUsage('client-plans', { from: today })).toEqual({ items: [{ date: today, requests: 1 }] });
    await expect(client.setTenantPlan('client-plans', 'gold')).rejects.toMatchObject({ status: 400 });
  });

  it('pages through 25 keys, newest first, each once', async () => {
    const tenant = 'paging';
    const ids: string[] = [];
    for (let n = 0; n < 25; n++) ids.push((await client.createKey(tenant, { name: `Key ${n}` })).id);
    const pages: string[][] = [];
    for await (const page of client.listKeyPages(tenant, { limit: 10 })) pages.push(page.items.map((key) => key.id));
    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual([...ids].reverse());
  });

  it('throws a typed 404 for a key that is not there', async () => {
    const error = await client.getKey(TENANT, 'key_01JAAAAAAAAAAAAAAAAAAAAAAA').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiProblemError);
    expect(error).toMatchObject({ status: 404, title: 'Not Found', detail: 'No such key.' });
  });

  it('retries a 503 after its Retry-After, signing for the proxy’s host and port, and then succeeds', async () => {
    const { id } = await client.createKey(TENANT, { name: 'Behind a flaky proxy' });
    const proxy = await flakyProxy(server.baseUrl, 1);
    try {
      const throughProxy = new ApiKeyServiceClient({ endpoint: proxy.url, fetch: documentedFetch });
      expect(await throughProxy.getKey(TENANT, id)).toMatchObject({ id });
      expect(proxy.seen).toEqual([`GET /tenants/${TENANT}/keys/${id}`, `GET /tenants/${TENANT}/keys/${id}`]);
    } finally {
      await proxy.close();
    }
  });

  it('does not retry a create without an idempotency key, and does with one', async () => {
    const proxy = await flakyProxy(server.baseUrl, 2);
    try {
      const throughProxy = new ApiKeyServiceClient({ endpoint: proxy.url, fetch: documentedFetch });
      await expect(throughProxy.createKey(TENANT, { name: 'Once' })).rejects.toMatchObject({ status: 503 });
      const created = await throughProxy.createKey(TENANT, { name: 'Once' }, { idempotencyKey: 'e2e-once-1' });
      expect(created.key).toMatch(/^ak_/);
      expect(proxy.seen).toHaveLength(3);
    } finally {
      await proxy.close();
    }
  });
});
