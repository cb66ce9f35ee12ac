import '../../fixtures/handler-env';
import {
  APIGatewayClient,
  ConflictException,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlanCommand,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler, type ReconcilerRun } from '../../../lambdas/reconcile-usage-plans';
import { UNLINKED_STAGES_METRIC } from '../../../src/metrics';
import { FakeTable, METRICS_NAMESPACE, PLAN_STAGES_PATH, TENANT_TABLE_NAME, USAGE_PLAN_IDS } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { emfLines } from '../../fixtures/emf';

const apiGateway = mockClient(APIGatewayClient);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);
const meta = { $metadata: {} };
const context = (remainingMs = 240_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;
let tenants: FakeTable;
let output: CapturedOutput;
let responses: { Status: string }[];

/** What usage plan each API Gateway key is in, as API Gateway keeps it. */
const membership = new Map<string, string>();

function registered(...stages: string[]): void {
  ssm.on(GetParametersByPathCommand, { Path: PLAN_STAGES_PATH }).resolves({
    Parameters: stages.map((stage, index) => {
      const [restApiId, stageName] = stage.split(':');
      return { Name: `${PLAN_STAGES_PATH}/s${index}`, Value: JSON.stringify({ restApiId, stageName }) };
    }),
  });
}

function covering(usagePlanId: string, ...stages: string[]): void {
  apiGateway.on(GetUsagePlanCommand, { usagePlanId }).resolves({
    id: usagePlanId,
    apiStages: stages.map((stage) => ({ apiId: stage.split(':')[0], stage: stage.split(':')[1] })),
  });
}

/** Runs the handler on a fake clock: its updates are spaced 21 s apart. */
async function run(event: unknown, budget = context()): Promise<ReconcilerRun | undefined> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  const done = handler(event, budget);
  await jest.advanceTimersByTimeAsync(5 * 60_000);
  return done;
}

const unlinkedMetrics = () =>
  emfLines(output)
    .filter((line) => line._aws.CloudWatchMetrics[0].Metrics.some((metric) => metric.Name === UNLINKED_STAGES_METRIC))
    .map((line) => ({ namespace: line._aws.CloudWatchMetrics[0].Namespace, value: line[UNLINKED_STAGES_METRIC] }));

function deployment(RequestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  return {
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:reconciler',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/answer',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/keys/1',
    RequestId: 'r-1',
    LogicalResourceId: 'Relink',
    ResourceType: 'Custom::UsagePlanRelink',
    ResourceProperties: { ServiceToken: 'x', UsagePlanIds: Object.values(USAGE_PLAN_IDS), Plans: 'digest' },
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: 'Relink-r-0' }),
    ...(RequestType === 'Update' ? { OldResourceProperties: { ServiceToken: 'x', Plans: 'older' } } : {}),
  } as CloudFormationCustomResourceEvent;
}

beforeEach(() => {
  apiGateway.reset();
  ssm.reset();
  ddb.reset();
  membership.clear();
  tenants = new FakeTable(ddb, [], undefined, { tableName: TENANT_TABLE_NAME, keyAttributes: ['tenantId', 'sk'] });
  registered('api1:v1', 'api2:v1');
  covering(USAGE_PLAN_IDS.free, 'api1:v1', 'api2:v1');
  covering(USAGE_PLAN_IDS.pro, 'api1:v1', 'api2:v1');
  apiGateway.on(UpdateUsagePlanCommand).resolves({});
  apiGateway.on(CreateUsagePlanKeyCommand).callsFake(({ usagePlanId, keyId }) => {
    if (membership.has(keyId)) throw new ConflictException({ message: 'in another plan', ...meta });
    membership.set(keyId, usagePlanId);
    return { id: keyId };
  });
  apiGateway.on(DeleteUsagePlanKeyCommand).callsFake(({ usagePlanId, keyId }) => {
    if (membership.get(keyId) === usagePlanId) membership.delete(keyId);
    return {};
  });
  responses = [];
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
    responses.push(JSON.parse(String(init?.body)));
    return new Response(null, { status: 200 });
  });
  output = captureOutput();
});
afterEach(() => {
  jest.restoreAllMocks();
  jest.useRealTimers();
  output.restore();
});

describe('on its schedule', () => {
  it('finds nothing missing: no update, and UnlinkedStages 0', async () => {
    await expect(run({ source: 'aws.events' })).resolves.toMatchObject({ unlinkedStages: 0, relinkedPlans: 0, failedPlans: 0 });
    expect(apiGateway).not.toHaveReceivedCommand(UpdateUsagePlanCommand);
    expect(unlinkedMetrics()).toEqual([{ namespace: METRICS_NAMESPACE, value: 0 }]);
  });

  it('puts the stages a plan lost back, in one UpdateUsagePlan per plan that lacks any, and counts each stage once', async () => {
    covering(USAGE_PLAN_IDS.free);
    covering(USAGE_PLAN_IDS.pro, 'api1:v1');
    await expect(run({ source: 'aws.events' })).resolves.toMatchObject({ unlinkedStages: 2, relinkedPlans: 2, failedPlans: 0 });
    expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 2);
    expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
      usagePlanId: USAGE_PLAN_IDS.free,
      patchOperations: [
        { op: 'add', path: '/apiStages', value: 'api1:v1' },
        { op: 'add', path: '/apiStages', value: 'api2:v1' },
      ],
    });
    expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
      usagePlanId: USAGE_PLAN_IDS.pro,
      patchOperations: [{ op: 'add', path: '/apiStages', value: 'api2:v1' }],
    });
    expect(unlinkedMetrics()).toEqual([{ namespace: METRICS_NAMESPACE, value: 2 }]);
    expect(output.text()).toContain('Registered stages were missing from usage plans');
  });

  it("backs off while a deployment holds the account's UpdateUsagePlan limit, and retries", async () => {
    covering(USAGE_PLAN_IDS.pro, 'api1:v1');
    apiGateway
      .on(UpdateUsagePlanCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Too Many Requests', ...meta }))
      .rejectsOnce(new ConflictException({ message: 'concurrent modification', ...meta }))
      .resolves({});
    const startedAt = Date.now();
    await expect(run({ source: 'aws.events' })).resolves.toMatchObject({ relinkedPlans: 1, failedPlans: 0 });
    expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 3);
    // An interval, then twice that: it yields to the deployment rather than competing with it.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(21_000 + 42_000);
  });

  it('gives a plan up for the next run when its time runs out, and still publishes what it found', async () => {
    covering(USAGE_PLAN_IDS.pro, 'api1:v1');
    apiGateway.on(UpdateUsagePlanCommand).rejects(new TooManyRequestsException({ message: 'Too Many Requests', ...meta }));
    await expect(run({ source: 'aws.events' }, context(30_000))).resolves.toMatchObject({
      unlinkedStages: 1,
      relinkedPlans: 0,
      failedPlans: 1,
    });
    expect(unlinkedMetrics()).toEqual([{ namespace: METRICS_NAMESPACE, value: 1 }]);
    expect(output.text()).toContain('Could not put the stages back in a usage plan');
  });

  it("finishes a tenant's move between plans that was cut short: its key back in the plan its record names", async () => {
    tenants.put({ tenantId: 'acme', sk: 'tenant', createdAt: '2026-01-01T00:00:00.000Z', usageKeyId: 'k1', usagePlan: 'pro' });
    tenants.put({
      tenantId: '#plan-moves',
      sk: 'acme',
      keyId: 'k1',
      from: 'pro',
      to: 'free',
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    membership.set('k1', USAGE_PLAN_IDS.free);
    await expect(run({ source: 'aws.events' })).resolves.toMatchObject({ planMoves: { finished: 1, left: 0 } });
    expect(membership.get('k1')).toBe(USAGE_PLAN_IDS.pro);
    expect(tenants.items.size).toBe(1);
    expect(tenants.items.get('acme\u0000tenant')?.arrangementLeaseUntil).toBeUndefined();
  });
});

describe('at a deployment that changes a plan', () => {
  it('puts the stages back before the deployment goes on, and answers SUCCESS', async () => {
    covering(USAGE_PLAN_IDS.free, 'api1:v1');
    await run(deployment('Update'));
    expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
      usagePlanId: USAGE_PLAN_IDS.free,
      patchOperations: [{ op: 'add', path: '/apiStages', value: 'api2:v1' }],
    });
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'Relink-r-0' })]);
    expect(unlinkedMetrics()).toEqual([{ namespace: METRICS_NAMESPACE, value: 1 }]);
  });

  it('never fails the deployment: what it could not put back is for the scheduled run', async () => {
    ssm.on(GetParametersByPathCommand).rejects(new Error('throttled'));
    await run(deployment('Create'));
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    expect(output.text()).toContain('the scheduled run retries');
  });

  it('does nothing when its resource is deleted', async () => {
    await run(deployment('Delete'));
    expect(apiGateway).not.toHaveReceivedCommand(GetUsagePlanCommand);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });
});
