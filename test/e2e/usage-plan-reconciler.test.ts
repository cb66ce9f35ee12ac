/**
 * A stage lost from a usage plan, end to end against `npm start`: the emulated
 * usage plan loses the service's stage, as CloudFormation's update of a plan can
 * drop a stage added outside it; every valid key of that plan's tenants then gets
 * 503 problem+json of its own type, with Retry-After; the reconciler finds the
 * stage missing and puts it back, at local mode's start and on its schedule.
 */
import { join } from 'node:path';
import { APIGatewayClient, GetUsagePlanCommand, UpdateUsagePlanCommand } from '@aws-sdk/client-api-gateway';
import { DECLARED_PLANS } from '../../src/declared-plans';
import { USAGE_PLAN_UNAVAILABLE_TYPE } from '../../src/problem';
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ERECONCILE0000', secretAccessKey: 'reconcile-secret-0000000000000000000000' };
/** The credentials the server's own SDK signs with, given so that this test can call its emulated API Gateway too. */
const SDK = { accessKeyId: 'AKIAE2ERECONCILESDK0', secretAccessKey: 'reconcile-sdk-secret-000000000000000000' };
/** The service's own stage, as usage plans name it locally. */
const SERVICE_STAGE = { apiId: 'local', stage: 'v1' };
/** A reconciler run, on a loaded machine: a few local calls, none of them waiting for UpdateUsagePlan's limit. */
const RUN_WITHIN_MS = 10_000;
const RECONCILE_INTERVAL_SECONDS = 2;

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let server: LocalServerProcess;
let apiGateway: APIGatewayClient;
let key: string;
/** The usage plan of the default plan, which the tenant is on. */
const usagePlanId = `local-${DECLARED_PLANS.default}`;

const env = (extra: Record<string, string> = {}) => ({
  DATA_DIR: join(temp.path, 'data'),
  ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
  ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  AWS_ACCESS_KEY_ID: SDK.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SDK.secretAccessKey,
  ...extra,
});

function connect(baseUrl: string): void {
  apiGateway?.destroy();
  apiGateway = new APIGatewayClient({ endpoint: baseUrl, region: 'us-east-1', credentials: SDK, maxAttempts: 1 });
}

/** What CloudFormation's update of the usage plan does to a stage added outside its template. */
async function dropServiceStage(): Promise<void> {
  const plan = await apiGateway.send(
    new UpdateUsagePlanCommand({
      usagePlanId,
      patchOperations: [{ op: 'remove', path: '/apiStages', value: `${SERVICE_STAGE.apiId}:${SERVICE_STAGE.stage}` }],
    }),
  );
  expect(plan.apiStages).not.toContainEqual(SERVICE_STAGE);
}

const whoami = () => call(server.baseUrl, 'GET', '/whoami', { apiKey: key });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until the key works again, at most `withinMs`: a reconciler run has put the stage back. */
async function whoamiWorksWithin(withinMs: number): Promise<number> {
  const startedAt = Date.now();
  let status = (await whoami()).status;
  while (status !== 200 && Date.now() - startedAt < withinMs) {
    await sleep(250);
    status = (await whoami()).status;
  }
  return status;
}

beforeAll(async () => {
  temp = await makeTempDir('e2e-usage-plan-reconciler');
  // As deployed: the reconciler every five minutes, so nothing puts the stage back while the test looks.
  server = await startLocalServer(env());
  connect(server.baseUrl);
  const created = await signedCall(server.baseUrl, ADMIN, 'POST', '/tenants/acme/keys', { body: { name: 'e2e' } });
  expect(created.status).toBe(201);
  key = created.json.key;
}, 60_000);

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    apiGateway?.destroy();
    await temp?.remove();
  }
});

it('refuses every valid key on a stage its plan lost with 503, Retry-After and a problem type of its own', async () => {
  expect((await whoami()).status).toBe(200);
  await dropServiceStage();
  const refused = await whoami();
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(refused.headers.get('content-type')).toBe('application/problem+json');
  expect(refused.json).toMatchObject({ type: USAGE_PLAN_UNAVAILABLE_TYPE, status: 503, title: 'Service Unavailable' });
  // Lost until something puts it back: local mode keeps a plan's stages, as API Gateway does.
  expect((await apiGateway.send(new GetUsagePlanCommand({ usagePlanId }))).apiStages).not.toContainEqual(SERVICE_STAGE);
});

it('puts the stage back at the next start: the reconciler runs then, as the audit sweeper does', async () => {
  await server.stop();
  server = await startLocalServer(env({ RECONCILE_INTERVAL_SECONDS: String(RECONCILE_INTERVAL_SECONDS) }));
  connect(server.baseUrl);
  expect(await whoamiWorksWithin(RUN_WITHIN_MS)).toBe(200);
  expect((await apiGateway.send(new GetUsagePlanCommand({ usagePlanId }))).apiStages).toContainEqual(SERVICE_STAGE);
  expect(server.output()).toMatch(/Registered stages were missing from usage plans.*local:v1/);
}, 60_000);

it('puts the stage back on its schedule, within one interval and a run', async () => {
  await dropServiceStage();
  expect(await whoamiWorksWithin(RECONCILE_INTERVAL_SECONDS * 1000 + RUN_WITHIN_MS)).toBe(200);
  expect((await apiGateway.send(new GetUsagePlanCommand({ usagePlanId }))).apiStages).toContainEqual(SERVICE_STAGE);
}, 60_000);
