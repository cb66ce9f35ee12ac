import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  LimitExceededException,
  NotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApiGatewayUsagePlans } from '../../../../lambdas/shared/api-gateway-usage-plans';
import { TenantLimitError, UsagePlansUnavailableError } from '../../../../src/domain/errors';
import { TenantService } from '../../../../src/domain/tenants';
import { usageKeyName, usageKeyValue } from '../../../../src/domain/usage-key';
import { MemoryTenantRecords } from '../../../fixtures/memory-tenant-records';

const apiGateway = mockClient(APIGatewayClient);
const PLANS = { default: 'free', ids: { free: 'up-free', pro: 'up-pro' } };
const NAMESPACE = 'Stack-1234abcd';
const meta = { $metadata: {} };

let adapter: ApiGatewayUsagePlans;
beforeEach(() => {
  apiGateway.reset();
  adapter = new ApiGatewayUsagePlans(new APIGatewayClient({ region: 'us-east-1' }), NAMESPACE, PLANS);
});

describe("a tenant's API Gateway key", () => {
  it('is made with the derived name and value when none has that name; similar names are not it', async () => {
    apiGateway.on(GetApiKeysCommand).resolves({ items: [{ id: 'other', name: `${usageKeyName(NAMESPACE, 'acme')}-2` }] });
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'k-new' });
    await expect(adapter.findOrCreateKey('acme')).resolves.toBe('k-new');
    expect(apiGateway).toHaveReceivedCommandWith(CreateApiKeyCommand, {
      name: usageKeyName(NAMESPACE, 'acme'),
      value: usageKeyValue(NAMESPACE, 'acme'),
      enabled: true,
    });
    expect(usageKeyValue(NAMESPACE, 'acme')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is found by its exact name on any page, never made twice', async () => {
    apiGateway
      .on(GetApiKeysCommand)
      .resolvesOnce({ items: [], position: 'p2' })
      .resolves({ items: [{ id: 'k-old', name: usageKeyName(NAMESPACE, 'acme') }] });
    await expect(adapter.findOrCreateKey('acme')).resolves.toBe('k-old');
    expect(apiGateway).toHaveReceivedCommandWith(GetApiKeysCommand, { position: 'p2' });
    expect(apiGateway).not.toHaveReceivedCommand(CreateApiKeyCommand);
  });

  it('made in between by another request (a conflict) is looked up again', async () => {
    apiGateway
      .on(GetApiKeysCommand)
      .resolvesOnce({ items: [] })
      .resolves({ items: [{ id: 'k-theirs', name: usageKeyName(NAMESPACE, 'acme') }] });
    apiGateway.on(CreateApiKeyCommand).rejects(new ConflictException({ message: 'API Key already exists', ...meta }));
    await expect(adapter.findOrCreateKey('acme')).resolves.toBe('k-theirs');
  });

  it("at the account's 10,000 keys is a TenantLimitError; throttled past the SDK's retries, a 503", async () => {
    apiGateway.on(GetApiKeysCommand).resolves({ items: [] });
    apiGateway.on(CreateApiKeyCommand).rejects(new LimitExceededException({ message: 'API Key limit exceeded', ...meta }));
    await expect(adapter.findOrCreateKey('acme')).rejects.toBeInstanceOf(TenantLimitError);
    apiGateway.on(CreateApiKeyCommand).rejects(new LimitExceededException({ message: 'Rate exceeded', ...meta }));
    await expect(adapter.findOrCreateKey('acme')).rejects.toBeInstanceOf(UsagePlansUnavailableError);
    apiGateway.on(CreateApiKeyCommand).rejects(new TooManyRequestsException({ message: 'Too Many Requests', ...meta }));
    await expect(adapter.findOrCreateKey('acme')).rejects.toBeInstanceOf(UsagePlansUnavailableError);
  });
});

describe('usage plan membership', () => {
  it('joins by the plan usage plan id; being in it already is success', async () => {
    apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
    await adapter.addToPlan('k1', 'pro');
    expect(apiGateway).toHaveReceivedCommandWith(CreateUsagePlanKeyCommand, {
      usagePlanId: 'up-pro',
      keyId: 'k1',
      keyType: 'API_KEY',
    });
    apiGateway.on(CreateUsagePlanKeyCommand).rejects(new ConflictException({ message: 'already', ...meta }));
    await expect(adapter.addToPlan('k1', 'pro')).resolves.toBeUndefined();
  });

  it('leaves; not being in it is success, any other failure is a 503', async () => {
    apiGateway.on(DeleteUsagePlanKeyCommand).rejects(new NotFoundException({ message: 'Invalid Usage Plan Key', ...meta }));
    await expect(adapter.removeFromPlan('k1', 'free')).resolves.toBeUndefined();
    expect(apiGateway).toHaveReceivedCommandWith(DeleteUsagePlanKeyCommand, { usagePlanId: 'up-free', keyId: 'k1' });
    apiGateway.on(DeleteUsagePlanKeyCommand).rejects(new Error('socket hang up'));
    await expect(adapter.removeFromPlan('k1', 'free')).rejects.toBeInstanceOf(UsagePlansUnavailableError);
  });
});

describe('usage', () => {
  it('maps the [used, remaining] pairs to days from the start date', async () => {
    apiGateway.on(GetUsageCommand).resolves({
      startDate: '2026-03-01',
      endDate: '2026-03-03',
      items: {
        k1: [
          [4, 996],
          [0, 996],
          [9, 987],
        ],
      },
    });
    await expect(adapter.dailyUsage('k1', 'free', '2026-03-01', '2026-03-03')).resolves.toEqual([
      { date: '2026-03-01', requests: 4 },
      { date: '2026-03-02', requests: 0 },
      { date: '2026-03-03', requests: 9 },
    ]);
    expect(apiGateway).toHaveReceivedCommandWith(GetUsageCommand, {
      usagePlanId: 'up-free',
      keyId: 'k1',
      startDate: '2026-03-01',
      endDate: '2026-03-03',
    });
  });

  it('is none for a key without entries, or a plan no longer declared', async () => {
    apiGateway.on(GetUsageCommand).resolves({ startDate: '2026-03-01', items: {} });
    await expect(adapter.dailyUsage('k1', 'free', '2026-03-01', '2026-03-03')).resolves.toEqual([]);
    await expect(adapter.dailyUsage('k1', 'gold', '2026-03-01', '2026-03-03')).resolves.toEqual([]);
    expect(apiGateway).toHaveReceivedCommandTimes(GetUsageCommand, 1);
  });
});

describe('under concurrency, through the tenant service', () => {
  it('makes one API Gateway key per tenant, however many first keys are issued at once', async () => {
    const made: string[] = [];
    apiGateway.on(GetApiKeysCommand).callsFake(async ({ nameQuery }: { nameQuery: string }) => ({
      items: made.filter((name) => name.startsWith(nameQuery)).map((name) => ({ id: `id-${name}`, name })),
    }));
    apiGateway.on(CreateApiKeyCommand).callsFake(async ({ name }: { name: string }) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (made.includes(name)) throw new ConflictException({ message: 'API Key already exists', ...meta });
      made.push(name);
      return { id: `id-${name}` };
    });
    apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
    const records = new MemoryTenantRecords();
    const tenants = new TenantService({
      records,
      gateway: adapter,
      plans: { default: 'free', names: ['free', 'pro'] },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 20)),
    });
    await Promise.all(['acme', 'globex'].flatMap((tenant) => Array.from({ length: 10 }, () => tenants.prepareForKeys(tenant))));
    expect(apiGateway).toHaveReceivedCommandTimes(CreateApiKeyCommand, 2);
    expect(apiGateway).toHaveReceivedCommandTimes(CreateUsagePlanKeyCommand, 2);
    expect(made.sort()).toEqual([usageKeyName(NAMESPACE, 'acme'), usageKeyName(NAMESPACE, 'globex')]);
    expect(records.records.get('acme')?.usageKey).toEqual({ id: `id-${usageKeyName(NAMESPACE, 'acme')}`, plan: 'free' });
  });
});
