/** The local gateway's usage plans: the authorizer's usageIdentifierKey, then the plan's throttle and quota. */
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createAuthorizerResultCache } from '../../../../local/apigateway/authorizer-result-cache';
import { createAuthorizerRunner } from '../../../../local/apigateway/authorizer-runner';
import { createGateway, type GatewayRoute } from '../../../../local/apigateway/gateway';
import { localStage } from '../../../../local/apigateway/stage';
import { apiStageOf, createUsagePlans, usagePlanId } from '../../../../local/apigateway/usage-plans';
import type { GatewayRequest } from '../../../../local/http/http-request';
import { policyFor } from '../../../../src/authorizer-policy';
import { usageKeyValue } from '../../../../src/domain/usage-key';
import { USAGE_PLAN_UNAVAILABLE_TYPE } from '../../../../src/problem';
import { compileMethods } from '../../../../src/protected-methods';

const stage = localStage('us-east-1');
const METHODS = compileMethods([{ method: 'GET', path: '/whoami' }]);
const PLANS = {
  default: 'slow',
  plans: {
    slow: { rateLimit: 1, burstLimit: 1 },
    capped: { rateLimit: 100, burstLimit: 100, quota: { limit: 2, period: 'DAY' as const } },
  },
};

/** The deployed authorizer's answer: each x-api-key is its tenant's, and names the tenant's usage key. */
const authorizer = jest.fn(async (event: APIGatewayRequestAuthorizerEvent) => {
  const tenantId = String(event.headers?.['x-api-key']).replace('ak_', '');
  return {
    principalId: `key_${tenantId}`,
    policyDocument: policyFor(event.methodArn, [], METHODS),
    context: { tenantId },
    usageIdentifierKey: usageKeyValue('local', tenantId),
  };
});

function call(apiKey?: string, path = '/whoami'): GatewayRequest {
  const headerPairs: [string, string][] = apiKey ? [['x-api-key', apiKey]] : [];
  return {
    method: 'GET',
    rawPath: path,
    rawQuery: '',
    headerPairs,
    headers: Object.fromEntries(headerPairs.map(([name, value]) => [name, [value]])),
    body: Buffer.alloc(0),
    bodyTooLarge: false,
    sourceIp: '127.0.0.1',
    receivedAt: new Date(),
  };
}

function setUp() {
  const clock = { now: Date.parse('2030-03-05T12:00:00Z') };
  const usagePlans = createUsagePlans({ declaration: PLANS, now: () => clock.now });
  usagePlans.deployStage(apiStageOf(stage));
  const member = (tenantId: string, plan: string) => {
    const key = usagePlans.createApiKey({ name: `local/${tenantId}`, value: usageKeyValue('local', tenantId), enabled: true });
    if (key === 'duplicateValue') throw new Error('duplicate');
    expect(usagePlans.addKey(usagePlanId(plan), key.id)).toBe('added');
    return key;
  };
  const backend = jest.fn(async () => ({ statusCode: 200, body: '{}' }));
  const routes: GatewayRoute[] = [
    { method: 'GET', path: '/whoami', authorization: 'apiKey', name: 'whoami', handler: backend, apiKeyRequired: true },
    { method: 'GET', path: '/open', authorization: 'none', name: 'open', handler: backend },
  ];
  const gateway = createGateway({
    routes,
    authorizer: createAuthorizerRunner(authorizer, createAuthorizerResultCache(300)),
    stage,
    usagePlans,
  });
  return { gateway, usagePlans, member, clock, backend };
}

beforeEach(() => authorizer.mockClear());

it('lets a burst on a 1 request/s plan through once, then answers 429 problem+json with Retry-After; another tenant’s bucket is its own', async () => {
  const { gateway, member, clock } = setUp();
  member('acme', 'slow');
  member('globex', 'slow');
  expect((await gateway(call('ak_acme'))).statusCode).toBe(200);
  const throttled = await gateway(call('ak_acme'));
  expect(throttled.statusCode).toBe(429);
  expect(throttled.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': '1' });
  expect(JSON.parse(String(throttled.body))).toMatchObject({ status: 429, title: 'Too Many Requests' });
  expect((await gateway(call('ak_globex'))).statusCode).toBe(200);
  clock.now += 1000;
  expect((await gateway(call('ak_acme'))).statusCode).toBe(200);
});

it('answers 429 once the quota is used up, and counts only what reached the backend', async () => {
  const { gateway, member, usagePlans, backend } = setUp();
  const key = member('acme', 'capped');
  expect((await gateway(call('ak_acme'))).statusCode).toBe(200);
  expect((await gateway(call('ak_acme'))).statusCode).toBe(200);
  const over = await gateway(call('ak_acme'));
  expect(over.statusCode).toBe(429);
  expect(JSON.parse(String(over.body)).detail).toBe('The request quota is used up.');
  expect(backend).toHaveBeenCalledTimes(2);
  expect(usagePlans.usage(usagePlanId('capped'), { startDate: '2030-03-05', endDate: '2030-03-05' })).toEqual({
    [key.id]: [[2, 0]],
  });
});

it('refuses with 503 a valid key whose tenant is in no usage plan, one whose API key is disabled, and one on a stage dropped from its plan, before the backend', async () => {
  const { gateway, usagePlans, backend, member } = setUp();
  const refused = await gateway(call('ak_nobody'));
  expect(refused.statusCode).toBe(503);
  expect(refused.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': expect.any(String) });
  expect(JSON.parse(String(refused.body))).toMatchObject({ type: USAGE_PLAN_UNAVAILABLE_TYPE, status: 503 });
  usagePlans.createApiKey({ value: usageKeyValue('local', 'off'), enabled: false });
  expect((await gateway(call('ak_off'))).statusCode).toBe(503);
  member('acme', 'capped');
  usagePlans.changeStages(usagePlanId('capped'), [{ op: 'remove', stage: apiStageOf(stage) }]);
  expect((await gateway(call('ak_acme'))).statusCode).toBe(503);
  expect(backend).not.toHaveBeenCalled();
});

it('keeps the usageIdentifierKey in the cached authorizer answer, and still applies the plan on every request', async () => {
  const { gateway, member } = setUp();
  member('acme', 'slow');
  expect((await gateway(call('ak_acme'))).statusCode).toBe(200);
  expect((await gateway(call('ak_acme'))).statusCode).toBe(429);
  expect(authorizer).toHaveBeenCalledTimes(1);
});

it('tells the backend the API key it was counted against, as $context.identity.apiKey and apiKeyId', async () => {
  const { gateway, member, backend } = setUp();
  const key = member('acme', 'capped');
  await gateway(call('ak_acme'));
  expect(backend.mock.calls[0]).toEqual([
    expect.objectContaining({
      requestContext: expect.objectContaining({
        identity: expect.objectContaining({ apiKey: usageKeyValue('local', 'acme'), apiKeyId: key.id }),
      }),
    }),
  ]);
});

it('leaves methods that require no API key alone', async () => {
  const { gateway } = setUp();
  for (let request = 0; request < 3; request++) expect((await gateway(call(undefined, '/open'))).statusCode).toBe(200);
});

it('refuses an apiKeyRequired method on a stage without usage plans, as API Gateway does', async () => {
  const gateway = createGateway({
    routes: [
      { method: 'GET', path: '/whoami', authorization: 'apiKey', name: 'whoami', handler: jest.fn(), apiKeyRequired: true },
    ],
    authorizer: createAuthorizerRunner(authorizer, createAuthorizerResultCache(0)),
    stage,
  });
  expect((await gateway(call('ak_acme'))).statusCode).toBe(503);
});

it('takes an authorizer answer whose usageIdentifierKey is not a string for an unusable one (503)', async () => {
  jest.spyOn(console, 'error').mockImplementation(() => {});
  const unusable = jest.fn(async (event: APIGatewayRequestAuthorizerEvent) => ({
    ...(await authorizer(event)),
    usageIdentifierKey: 42,
  }));
  const gateway = createGateway({
    routes: [
      { method: 'GET', path: '/whoami', authorization: 'apiKey', name: 'whoami', handler: jest.fn(), apiKeyRequired: true },
    ],
    authorizer: createAuthorizerRunner(unusable, createAuthorizerResultCache(0)),
    stage,
    usagePlans: setUp().usagePlans,
  });
  expect((await gateway(call('ak_acme'))).statusCode).toBe(503);
  jest.restoreAllMocks();
});
