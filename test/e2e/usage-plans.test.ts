/**
 * The local gateway enforces usage plans end to end: a tenant's API key, made
 * and put in a plan with the API Gateway SDK calls the tenant functions make,
 * is throttled by its plan on the service's routes and the example API's, its
 * usage is counted, and its membership survives a restart.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetUsageCommand,
} from '@aws-sdk/client-api-gateway';
import { usageKeyName, usageKeyValue } from '../../src/domain/usage-key';
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

/** The SDK credentials the server's functions sign with, so this test can make the same calls. */
const SDK = { accessKeyId: 'e2e-usage-plans', secretAccessKey: 'e2e-usage-plans-secret' };
const PLANS = {
  default: 'slow',
  plans: {
    slow: { rateLimit: 1, burstLimit: 1 },
    capped: { rateLimit: 100, burstLimit: 100, quota: { limit: 3, period: 'DAY' } },
  },
};
const TODAY = new Date().toISOString().slice(0, 10);

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let server: LocalServerProcess;
let env: Record<string, string>;

function printedCredentials(output: string) {
  const printed = /AK=(\S+) SK=(\S+)/.exec(output);
  if (!printed) throw new Error(`No credentials printed:\n${output}`);
  return { accessKeyId: printed[1], secretAccessKey: printed[2] };
}

const apiGateway = () =>
  new APIGatewayClient({ endpoint: server.baseUrl, region: 'us-east-1', credentials: SDK, maxAttempts: 1 });

async function newKey(tenantId: string, scopes: string[] = []): Promise<string> {
  const created = await signedCall(server.baseUrl, printedCredentials(server.output()), 'POST', `/tenants/${tenantId}/keys`, {
    body: { name: 'e2e', scopes },
  });
  expect(created.status).toBe(201);
  return created.json.key;
}

/** What the tenant functions do for a tenant: its API key, in a usage plan. */
async function putInPlan(client: APIGatewayClient, tenantId: string, usagePlanId: string): Promise<string> {
  const apiKey = await client.send(
    new CreateApiKeyCommand({ name: usageKeyName('local', tenantId), value: usageKeyValue('local', tenantId), enabled: true }),
  );
  await client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: apiKey.id, keyType: 'API_KEY' }));
  return apiKey.id ?? '';
}

const status = async (path: string, apiKey: string) =>
  (await fetch(new URL(path, server.baseUrl), { headers: { 'x-api-key': apiKey } })).status;

beforeAll(async () => {
  temp = await makeTempDir('e2e-usage-plans');
  const plansFile = join(temp.path, 'plans.json');
  await writeFile(plansFile, JSON.stringify(PLANS));
  env = {
    PLANS_FILE: plansFile,
    DATA_DIR: join(temp.path, 'data'),
    AWS_ACCESS_KEY_ID: SDK.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SDK.secretAccessKey,
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

it('refuses a valid key with 403 while its tenant has no API key in a usage plan', async () => {
  const key = await newKey('planless');
  const refused = await call(server.baseUrl, 'GET', '/whoami', { apiKey: key });
  expect(refused.status).toBe(403);
  expect(refused.headers.get('content-type')).toBe('application/problem+json');
});

it('throttles a burst on a 1 request/s plan, per tenant and shared by its keys, on the service’s and the example’s routes', async () => {
  const client = apiGateway();
  try {
    await putInPlan(client, 'burst-a', 'local-slow');
    await putInPlan(client, 'burst-b', 'local-slow');
    const [first, second] = [await newKey('burst-a', ['orders:read']), await newKey('burst-a', ['orders:read'])];
    const other = await newKey('burst-b');
    expect(await status('/whoami', first)).toBe(200);
    const throttled = await fetch(new URL('/whoami', server.baseUrl), { headers: { 'x-api-key': second } });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(await status('/whoami', other)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await status('/examples/orders', second)).toBe(200);
    expect(await status('/examples/orders', first)).toBe(429);
  } finally {
    client.destroy();
  }
});

it('stops at the quota, counts what passed, and GetUsage answers it per day', async () => {
  const client = apiGateway();
  try {
    const apiKeyId = await putInPlan(client, 'quota', 'local-capped');
    const key = await newKey('quota');
    expect([await status('/whoami', key), await status('/whoami', key), await status('/whoami', key)]).toEqual([200, 200, 200]);
    const over = await fetch(new URL('/whoami', server.baseUrl), { headers: { 'x-api-key': key } });
    expect(over.status).toBe(429);
    expect((await over.json()).detail).toBe('The request quota is used up.');
    const usage = await client.send(
      new GetUsageCommand({ usagePlanId: 'local-capped', keyId: apiKeyId, startDate: TODAY, endDate: TODAY }),
    );
    expect(usage.items).toEqual({ [apiKeyId]: [[3, 0]] });
  } finally {
    client.destroy();
  }
});

it('keeps a tenant’s API key and plan across a restart; taken out of the plan, its keys get 403 at once', async () => {
  const client = apiGateway();
  let apiKeyId: string;
  let key: string;
  try {
    apiKeyId = await putInPlan(client, 'restarted', 'local-capped');
    key = await newKey('restarted');
    expect(await status('/whoami', key)).toBe(200);
  } finally {
    client.destroy();
  }
  expect(await server.stop()).toBe(0);
  server = await startLocalServer(env);
  expect(await status('/whoami', key)).toBe(200);
  const after = apiGateway();
  try {
    await after.send(new DeleteUsagePlanKeyCommand({ usagePlanId: 'local-capped', keyId: apiKeyId }));
    expect(await status('/whoami', key)).toBe(403);
  } finally {
    after.destroy();
  }
});
