import '../../fixtures/handler-env';
import {
  APIGatewayClient,
  GetUsagePlanCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambdas/link-usage-plan-stage';
import { PLAN_STAGES_PATH } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';

const apiGateway = mockClient(APIGatewayClient);
const ssm = mockClient(SSMClient);
const meta = { $metadata: {} };
let responses: { Status: string; Reason: string; PhysicalResourceId: string }[];
let output: CapturedOutput;
const context = (remainingMs = 600_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;

type Properties = { UsagePlanIds: string[]; Stages?: string[]; Stage?: string };

function event(
  RequestType: 'Create' | 'Update' | 'Delete',
  properties: Properties = { UsagePlanIds: ['up-free', 'up-pro'], Stages: ['api1:v1', 'api2:v1'] },
  old?: Properties,
): CloudFormationCustomResourceEvent {
  return {
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:link',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/answer',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/1',
    RequestId: 'r-1',
    LogicalResourceId: 'Link',
    ResourceType: 'Custom::UsagePlanStages',
    ResourceProperties: { ServiceToken: 'x', ...properties },
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: 'Link-r-0' }),
    ...(old ? { OldResourceProperties: { ServiceToken: 'x', ...old } } : {}),
  } as CloudFormationCustomResourceEvent;
}

/** The stages registered for the usage plans, as the registry answers. */
function registered(...stages: string[]): void {
  ssm.on(GetParametersByPathCommand, { Path: PLAN_STAGES_PATH }).resolves({
    Parameters: stages.map((stage, index) => {
      const [restApiId, stageName] = stage.split(':');
      return { Name: `${PLAN_STAGES_PATH}/s${index}`, Value: JSON.stringify({ restApiId, stageName }) };
    }),
  });
}

/** Runs the handler on a fake clock: its updates are spaced 21 s apart. */
async function run(request: CloudFormationCustomResourceEvent, budget = context()): Promise<void> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  const done = handler(request, budget);
  await jest.advanceTimersByTimeAsync(15 * 60_000);
  await done;
}

const covering = (...stages: string[]) => ({
  apiStages: stages.map((stage) => ({ apiId: stage.split(':')[0], stage: stage.split(':')[1] })),
});

beforeEach(() => {
  apiGateway.reset();
  ssm.reset();
  registered();
  apiGateway.on(GetUsagePlanCommand).resolves({ apiStages: [] });
  apiGateway.on(UpdateUsagePlanCommand).resolves({});
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

it("adds all the stack's stages to each usage plan in one update per plan, and answers SUCCESS with an id it keeps", async () => {
  await run(event('Create'), context());
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-free',
    patchOperations: [
      { op: 'add', path: '/apiStages', value: 'api1:v1' },
      { op: 'add', path: '/apiStages', value: 'api2:v1' },
    ],
  });
  expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 2);
  expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'Link-r-1' })]);
  await run(event('Update'), context());
  expect(responses[1]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'Link-r-0' });
});

it('adds only what a plan lacks, and makes no call for a plan that lacks nothing', async () => {
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-free' }).resolves(covering('api1:v1', 'api2:v1'));
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-pro' }).resolves(covering('api1:v1'));
  await run(event('Create'), context());
  expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 1);
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-pro',
    patchOperations: [{ op: 'add', path: '/apiStages', value: 'api2:v1' }],
  });
});

it('on update, takes off the stages the stack dropped, and its stages off the plans it no longer names', async () => {
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-free' }).resolves(covering('api1:v1', 'api2:v1'));
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-old' }).resolves(covering('api1:v1', 'api2:v1'));
  await run(
    event(
      'Update',
      { UsagePlanIds: ['up-free'], Stages: ['api1:v1'] },
      { UsagePlanIds: ['up-free', 'up-old'], Stages: ['api1:v1', 'api2:v1'] },
    ),
    context(),
  );
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-free',
    patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api2:v1' }],
  });
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-old',
    patchOperations: [
      { op: 'remove', path: '/apiStages', value: 'api1:v1' },
      { op: 'remove', path: '/apiStages', value: 'api2:v1' },
    ],
  });
});

it('on delete, takes off the stages no longer registered, keeps one still registered, and skips a plan that is gone', async () => {
  registered('api2:v1');
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-free' }).resolves(covering('api1:v1', 'api2:v1'));
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-pro' }).rejects(new NotFoundException({ message: 'gone', ...meta }));
  await run(event('Delete'), context());
  expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 1);
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-free',
    patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api1:v1' }],
  });
  expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'Link-r-0' })]);
});

it('on delete of a resource made for one stage (before each stack had one for all), keeps the stage its stack now registers', async () => {
  registered('api1:v1');
  apiGateway.on(GetUsagePlanCommand).resolves(covering('api1:v1'));
  await run(event('Delete', { UsagePlanIds: ['up-free', 'up-pro'], Stage: 'api1:v1' }), context());
  expect(apiGateway).not.toHaveReceivedCommand(UpdateUsagePlanCommand);
  expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
});

it("waits out UpdateUsagePlan's one call per 20 seconds, its own calls spaced as far, then succeeds", async () => {
  apiGateway
    .on(UpdateUsagePlanCommand)
    .rejectsOnce(new TooManyRequestsException({ message: 'Too Many Requests', ...meta }))
    .resolves({});
  const startedAt = Date.now();
  await run(event('Create'));
  // Refused, waited at least an interval; then the first plan, and the second an interval later.
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2 * 21_000);
  expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 3);
  expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
});

it('answers FAILED, naming the stages, when it cannot finish before its time runs out', async () => {
  apiGateway.on(UpdateUsagePlanCommand).rejects(new TooManyRequestsException({ message: 'Too Many Requests', ...meta }));
  await run(event('Create'), context(30_000));
  expect(responses).toEqual([
    expect.objectContaining({
      Status: 'FAILED',
      Reason: 'Linking api1:v1, api2:v1 to the usage plans failed: OutOfTimeError',
    }),
  ]);
  expect(output.text()).toContain('Linking the stages to the usage plans failed');
});

it('answers FAILED when a plan it must add stages to does not exist', async () => {
  apiGateway.on(GetUsagePlanCommand).rejects(new NotFoundException({ message: 'gone', ...meta }));
  await run(event('Create'), context());
  expect(responses).toEqual([expect.objectContaining({ Status: 'FAILED' })]);
});
