import '../../fixtures/handler-env';
import {
  APIGatewayClient,
  GetUsagePlanCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambdas/link-usage-plan-stage';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';

const apiGateway = mockClient(APIGatewayClient);
const meta = { $metadata: {} };
let responses: { Status: string; Reason: string; PhysicalResourceId: string }[];
let output: CapturedOutput;
const context = (remainingMs = 600_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;

function event(
  RequestType: 'Create' | 'Update' | 'Delete',
  properties = { UsagePlanIds: ['up-free', 'up-pro'], Stage: 'api1:v1' },
  old?: typeof properties,
): CloudFormationCustomResourceEvent {
  return {
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:link',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/answer',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/1',
    RequestId: 'r-1',
    LogicalResourceId: 'Link',
    ResourceType: 'Custom::UsagePlanStage',
    ResourceProperties: { ServiceToken: 'x', ...properties },
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: properties.Stage }),
    ...(old ? { OldResourceProperties: { ServiceToken: 'x', ...old } } : {}),
  } as CloudFormationCustomResourceEvent;
}

beforeEach(() => {
  apiGateway.reset();
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

it('adds the stage to each usage plan, answers SUCCESS with the stage as the physical id', async () => {
  await handler(event('Create'), context());
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-free',
    patchOperations: [{ op: 'add', path: '/apiStages', value: 'api1:v1' }],
  });
  expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 2);
  expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'api1:v1' })]);
});

it('does nothing to a plan that lists the stage already, and removes it on delete; a plan gone is nothing to remove', async () => {
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-free' }).resolves({ apiStages: [{ apiId: 'api1', stage: 'v1' }] });
  await handler(event('Create'), context());
  expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 1);
  apiGateway.reset();
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-free' }).resolves({ apiStages: [{ apiId: 'api1', stage: 'v1' }] });
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-pro' }).rejects(new NotFoundException({ message: 'gone', ...meta }));
  await handler(event('Delete'), context());
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-free',
    patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api1:v1' }],
  });
  expect(responses.map((response) => response.Status)).toEqual(['SUCCESS', 'SUCCESS']);
});

it('on update, takes the stage off the plans it no longer names', async () => {
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'up-old' }).resolves({ apiStages: [{ apiId: 'api1', stage: 'v1' }] });
  await handler(
    event('Update', { UsagePlanIds: ['up-free'], Stage: 'api1:v1' }, { UsagePlanIds: ['up-free', 'up-old'], Stage: 'api1:v1' }),
    context(),
  );
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-old',
    patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api1:v1' }],
  });
  expect(apiGateway).toHaveReceivedCommandWith(UpdateUsagePlanCommand, {
    usagePlanId: 'up-free',
    patchOperations: [{ op: 'add', path: '/apiStages', value: 'api1:v1' }],
  });
});

it("waits out UpdateUsagePlan's one call per 20 seconds, then succeeds", async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  apiGateway
    .on(UpdateUsagePlanCommand)
    .rejectsOnce(new TooManyRequestsException({ message: 'Too Many Requests', ...meta }))
    .resolves({});
  const done = handler(event('Create', { UsagePlanIds: ['up-free'], Stage: 'api1:v1' }), context());
  await jest.advanceTimersByTimeAsync(21_000);
  await done;
  expect(apiGateway).toHaveReceivedCommandTimes(UpdateUsagePlanCommand, 2);
  expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
});

it('answers FAILED, naming the stage, when it cannot finish before its time runs out', async () => {
  apiGateway.on(UpdateUsagePlanCommand).rejects(new TooManyRequestsException({ message: 'Too Many Requests', ...meta }));
  await handler(event('Create'), context(30_000));
  expect(responses).toEqual([
    expect.objectContaining({ Status: 'FAILED', Reason: 'Linking api1:v1 to the usage plans failed: TooManyRequestsException' }),
  ]);
  expect(output.text()).toContain('Linking the stage to the usage plans failed');
});
