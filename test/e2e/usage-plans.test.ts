/**
 * Plans end to end against `npm start` with a PLANS_FILE: an admin sets a
 * tenant's plan, the local gateway throttles a burst on a 1 request/s plan per
 * tenant (shared by its keys, on the service's routes and the example API's)
 * and stops at a quota, other tenants are unaffected, and the usage routes count
 * what passed; a restart keeps every tenant's plan.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ApiResponse, call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EPLANS00000000', secretAccessKey: 'plans-secret-00000000000000000000000000' };
const PLANS = {
  default: 'roomy',
  plans: {
    roomy: { rateLimit: 1000, burstLimit: 1000 },
    slow: { rateLimit: 1, burstLimit: 1 },
    capped: { rateLimit: 100, burstLimit: 100, quota: { limit: 3, period: 'DAY' } },
  },
};
const TODAY = new Date().toISOString().slice(0, 10);

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let server: LocalServerProcess;
let env: Record<string, string>;

const admin = (method: string, path: string, body?: unknown) =>
  signedCall(server.baseUrl, ADMIN, method, path, body === undefined ? {} : { body });

async function newKey(tenantId: string, scopes: string[] = []): Promise<string> {
  const created = await admin('POST', `/tenants/${tenantId}/keys`, { name: 'e2e', scopes });
  expect(created.status).toBe(201);
  return created.json.key;
}

async function setPlan(tenantId: string, plan: string): Promise<ApiResponse> {
  return admin('PUT', `/tenants/${tenantId}`, { plan });
}

const usageToday = async (tenantId: string) =>
  (await admin('GET', `/tenants/${tenantId}/usage?from=${TODAY}&to=${TODAY}`)).json.items[0].requests as number;

beforeAll(async () => {
  temp = await makeTempDir('e2e-usage-plans');
  const plansFile = join(temp.path, 'plans.json');
  await writeFile(plansFile, JSON.stringify(PLANS));
  env = {
    PLANS_FILE: plansFile,
    DATA_DIR: join(temp.path, 'data'),
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  };
  server = await startLocalServer(env);
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await temp?.remove();
  }
});

it('reads a tenant never configured as the default plan, and sets a declared plan; an unknown one is 400 with nothing changed', async () => {
  expect((await admin('GET', '/tenants/fresh')).json).toEqual({ id: 'fresh', plan: 'roomy', createdAt: null });
  const unknown = await setPlan('fresh', 'gold');
  expect(unknown.status).toBe(400);
  expect(unknown.json.errors).toEqual([{ path: 'plan', message: 'must be one of the plans: roomy, slow, capped' }]);
  expect((await admin('PUT', '/tenants/fresh', { plan: 'slow', extra: true })).status).toBe(400);
  expect((await admin('GET', '/tenants/fresh')).json.createdAt).toBeNull();

  const set = await setPlan('fresh', 'slow');
  expect(set.status).toBe(200);
  expect(set.json).toEqual({ id: 'fresh', plan: 'slow', createdAt: expect.any(String) });
  expect((await admin('GET', '/tenants/fresh')).json).toEqual(set.json);
  // The change is in the tenant's audit trail, with the admin who made it; the refused ones are not.
  const trail = await admin('GET', '/tenants/fresh/audit');
  expect(trail.json.items).toEqual([
    expect.objectContaining({
      action: 'tenant.updated',
      keyId: null,
      actor: { type: 'iam', arn: expect.stringContaining('arn:aws:iam::') },
      changes: { plan: { old: 'roomy', new: 'slow' } },
    }),
  ]);
});

it('throttles a burst on a 1 request/s plan: 200, then 429 problem+json, for all the tenant’s keys; another tenant is unaffected', async () => {
  expect((await setPlan('burst', 'slow')).status).toBe(200);
  const [first, second] = [await newKey('burst', ['orders:read']), await newKey('burst', ['orders:read'])];
  const other = await newKey('neighbour');

  const burst = await Promise.all(
    Array.from({ length: 6 }, (_, index) => call(server.baseUrl, 'GET', '/whoami', { apiKey: index % 2 ? first : second })),
  );
  const statuses = burst.map((answer) => answer.status);
  const passed = statuses.filter((status) => status === 200).length;
  // One token: one request passes, or two should the burst straddle a second on a loaded machine.
  expect([1, 2]).toContain(passed);
  expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
  const throttled = burst.find((answer) => answer.status === 429)!;
  expect(throttled.headers.get('content-type')).toBe('application/problem+json');
  expect(throttled.headers.get('retry-after')).toBe('1');
  expect(throttled.json).toMatchObject({ status: 429, title: 'Too Many Requests' });

  // The neighbour, on the default plan, calls as often as it likes meanwhile.
  for (let i = 0; i < 5; i++) expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: other })).status).toBe(200);

  // The same limit holds on the example API behind the same authorizer.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect((await call(server.baseUrl, 'GET', '/examples/orders', { apiKey: first })).status).toBe(200);
  expect((await call(server.baseUrl, 'GET', '/examples/orders', { apiKey: second })).status).toBe(429);

  // Usage counts what passed: the burst's, and one order listing.
  expect(await usageToday('burst')).toBe(passed + 1);
  expect(await usageToday('neighbour')).toBe(5);
});

it('stops at the quota with 429, and the tenant reads its own usage with GET /usage', async () => {
  expect((await setPlan('quota', 'capped')).status).toBe(200);
  const key = await newKey('quota');
  for (let i = 0; i < 2; i++) expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status).toBe(200);
  // The third request of the day is the tenant asking for its usage, which counts too.
  const own = await call(server.baseUrl, 'GET', `/usage?from=${TODAY}&to=${TODAY}`, { apiKey: key });
  expect(own.status).toBe(200);
  expect(own.json).toEqual({ items: [{ date: TODAY, requests: 3 }] });
  const over = await call(server.baseUrl, 'GET', '/whoami', { apiKey: key });
  expect(over.status).toBe(429);
  expect(over.json.detail).toBe('The request quota is used up.');
  expect(await usageToday('quota')).toBe(3);
});

it('answers a week of usage by default, and refuses bad ranges with 400', async () => {
  const week = await admin('GET', '/tenants/quota/usage');
  expect(week.status).toBe(200);
  expect(week.json.items).toHaveLength(7);
  expect(week.json.items.at(-1)).toEqual({ date: TODAY, requests: 3 });
  for (const query of ['from=2026-02-30', 'from=yesterday', `from=${TODAY}&to=2020-01-01`, 'from=2020-01-01&to=2021-01-01']) {
    const refused = await admin('GET', `/tenants/quota/usage?${query}`);
    expect({ query, status: refused.status }).toEqual({ query, status: 400 });
  }
});

it('keeps every tenant’s plan across a restart; moved back to a roomy plan, a throttled tenant is served again', async () => {
  const key = await newKey('restarted');
  expect((await setPlan('restarted', 'slow')).status).toBe(200);
  expect(await server.stop()).toBe(0);
  server = await startLocalServer(env);
  expect((await admin('GET', '/tenants/restarted')).json.plan).toBe('slow');
  const burst = await Promise.all(Array.from({ length: 3 }, () => call(server.baseUrl, 'GET', '/whoami', { apiKey: key })));
  expect(burst.map((answer) => answer.status)).toContain(429);

  expect((await setPlan('restarted', 'roomy')).status).toBe(200);
  const after = await Promise.all(Array.from({ length: 3 }, () => call(server.baseUrl, 'GET', '/whoami', { apiKey: key })));
  expect(after.map((answer) => answer.status)).toEqual([200, 200, 200]);
});
