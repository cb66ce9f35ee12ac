/** The emulated API key and usage plan operations, called with the real API Gateway client. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  GetUsagePlanCommand,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { type ApiStage, createUsagePlans, type UsagePlans } from '../../../../local/apigateway/usage-plans';
import { createApiGatewayManagement } from '../../../../local/aws/apigateway-management';
import { createRequestListener } from '../../../../local/http/http-listener';
import { DECLARED_PLANS } from '../../../../src/declared-plans';
import { usageKeyName, usageKeyValue } from '../../../../src/domain/usage-key';

const STAGE: ApiStage = 'local:v1';
const admitted = (usagePlans: UsagePlans, value: string) => usagePlans.admit(value, STAGE).admitted;
const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };
const TODAY = new Date().toISOString().slice(0, 10);

let server: Server;
let client: APIGatewayClient;
let endpoint: string;
let usagePlans: UsagePlans;

beforeAll(async () => {
  usagePlans = createUsagePlans({ declaration: DECLARED_PLANS });
  usagePlans.deployStage(STAGE);
  const management = createApiGatewayManagement({
    region: 'us-east-1',
    stages: [],
    usagePlans,
    sdkCredentials: async () => SDK_CREDENTIALS,
  });
  server = createServer(createRequestListener(management, { maxBodyBytes: 1024 * 1024, stopping: () => false }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new APIGatewayClient({ endpoint, region: 'us-east-1', credentials: SDK_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const tenantKey = (tenantId: string) =>
  client.send(
    new CreateApiKeyCommand({ name: usageKeyName('local', tenantId), value: usageKeyValue('local', tenantId), enabled: true }),
  );

it('creates an API key with the given value, and refuses a second with that value: 409 ConflictException', async () => {
  const created = await tenantKey('acme');
  expect(created).toMatchObject({
    id: expect.stringMatching(/^[a-z0-9]{10}$/),
    name: 'local/acme',
    value: usageKeyValue('local', 'acme'),
    enabled: true,
    createdDate: expect.any(Date),
  });
  await expect(tenantKey('acme')).rejects.toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
});

it('refuses a value shorter than 20 characters: 400 BadRequestException', async () => {
  await expect(client.send(new CreateApiKeyCommand({ name: 'x', value: 'short', enabled: true }))).rejects.toMatchObject({
    name: 'BadRequestException',
    message: 'API Key value should be at least 20 characters',
  });
});

it('lists keys whose name starts with nameQuery, without values unless asked, in pages', async () => {
  for (const tenant of ['list-a', 'list-b', 'list-c']) await tenantKey(tenant);
  const first = await client.send(new GetApiKeysCommand({ nameQuery: 'local/list-', includeValues: false, limit: 2 }));
  expect(first.items?.map((key) => key.name)).toEqual(['local/list-a', 'local/list-b']);
  expect(first.items?.[0]).not.toHaveProperty('value');
  expect(first.items?.[0]).toMatchObject({ id: expect.any(String), enabled: true });
  const second = await client.send(
    new GetApiKeysCommand({ nameQuery: 'local/list-', includeValues: true, limit: 2, position: first.position }),
  );
  expect(second.items?.map((key) => [key.name, key.value])).toEqual([['local/list-c', usageKeyValue('local', 'list-c')]]);
  expect(second.position).toBeUndefined();
  const none = await client.send(new GetApiKeysCommand({ nameQuery: 'local/nobody', limit: 500 }));
  expect(none.items).toEqual([]);
});

it('puts a key in a usage plan (201), once (409), and takes it out (202), then 404', async () => {
  const key = await tenantKey('plan-member');
  const planId = usagePlans.environment.ids.free;
  const added = await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id, keyType: 'API_KEY' }));
  expect(added).toMatchObject({ id: key.id, type: 'API_KEY', name: 'local/plan-member', $metadata: { httpStatusCode: 201 } });
  await expect(
    client.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id, keyType: 'API_KEY' })),
  ).rejects.toMatchObject({ name: 'ConflictException' });
  await expect(
    client.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: usagePlans.environment.ids.pro, keyId: key.id, keyType: 'API_KEY' }),
    ),
  ).rejects.toMatchObject({ name: 'ConflictException' });
  const removed = await client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id }));
  expect(removed.$metadata.httpStatusCode).toBe(202);
  await expect(client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id }))).rejects.toMatchObject({
    name: 'NotFoundException',
  });
});

it('answers NotFoundException for an unknown usage plan or API key', async () => {
  const key = await tenantKey('nowhere');
  await expect(
    client.send(new CreateUsagePlanKeyCommand({ usagePlanId: 'gold', keyId: key.id, keyType: 'API_KEY' })),
  ).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
  await expect(
    client.send(new CreateUsagePlanKeyCommand({ usagePlanId: 'local-free', keyId: 'nosuchkey0', keyType: 'API_KEY' })),
  ).rejects.toMatchObject({ name: 'NotFoundException' });
  await expect(client.send(new GetUsageCommand({ usagePlanId: 'gold', startDate: TODAY, endDate: TODAY }))).rejects.toMatchObject(
    { name: 'NotFoundException' },
  );
});

it('gives the usage of a key, one [used, remaining] a day from startDate, as the SDK reads it', async () => {
  const key = await tenantKey('usage');
  const usagePlanId = usagePlans.environment.ids.free;
  await client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id, keyType: 'API_KEY' }));
  admitted(usagePlans, usageKeyValue('local', 'usage'));
  admitted(usagePlans, usageKeyValue('local', 'usage'));
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const usage = await client.send(new GetUsageCommand({ usagePlanId, keyId: key.id, startDate: yesterday, endDate: TODAY }));
  expect(usage).toMatchObject({
    usagePlanId,
    startDate: yesterday,
    endDate: TODAY,
    items: {
      [key.id ?? '']: [
        [0, 1000],
        [2, 998],
      ],
    },
  });
  const outsider = await client.send(new GetUsageCommand({ usagePlanId, keyId: 'notinplan0', startDate: TODAY, endDate: TODAY }));
  expect(outsider.items).toEqual({});
});

it('refuses a usage range that is backwards, malformed or over 90 days: 400 BadRequestException', async () => {
  for (const [startDate, endDate] of [
    [TODAY, '2000-01-01'],
    ['2030-1-1', '2030-01-02'],
    ['2030-01-01', '2030-04-01'],
  ]) {
    await expect(client.send(new GetUsageCommand({ usagePlanId: 'local-free', startDate, endDate }))).rejects.toMatchObject({
      name: 'BadRequestException',
    });
  }
});

it('gives a usage plan with its stages, throttle and quota, and adds and removes stages at /apiStages', async () => {
  const usagePlanId = usagePlans.environment.ids.free;
  expect(await client.send(new GetUsagePlanCommand({ usagePlanId }))).toMatchObject({
    id: usagePlanId,
    name: 'free',
    apiStages: [{ apiId: 'local', stage: 'v1' }],
    throttle: { rateLimit: 5, burstLimit: 10 },
    quota: { limit: 1000, period: 'DAY' },
  });
  const patch = (op: 'add' | 'remove', value: string) =>
    client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations: [{ op, path: '/apiStages', value }] }));
  expect((await patch('remove', STAGE)).apiStages).toEqual([]);
  expect(usagePlans.stagesOf(usagePlanId)).toEqual([]);
  expect((await patch('add', STAGE)).apiStages).toEqual([{ apiId: 'local', stage: 'v1' }]);
  await expect(patch('add', 'elsewhere:v1')).rejects.toMatchObject({ name: 'BadRequestException' });
  await expect(
    client.send(
      new UpdateUsagePlanCommand({ usagePlanId, patchOperations: [{ op: 'replace', path: '/throttle/rateLimit', value: '1' }] }),
    ),
  ).rejects.toMatchObject({ name: 'BadRequestException' });
  await expect(client.send(new GetUsagePlanCommand({ usagePlanId: 'gold' }))).rejects.toMatchObject({
    name: 'NotFoundException',
  });
});

it('refuses other credentials, as AWS does', async () => {
  const stranger = new APIGatewayClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'SOMEONE', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  await expect(stranger.send(new GetApiKeysCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  stranger.destroy();
});
