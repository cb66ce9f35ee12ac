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
} from '@aws-sdk/client-api-gateway';
import { TenantLimitError, UsagePlansUnavailableError } from '../../src/domain/errors';
import type { DailyUsage, UsagePlanGateway } from '../../src/domain/tenants';
import { usageKeyName, usageKeyValue } from '../../src/domain/usage-key';

/** The plans as the construct made them: the default's name, and each plan's usage plan id. */
export interface UsagePlanIds {
  default: string;
  ids: Record<string, string>;
}

const DAY_MS = 86_400_000;

/** API Gateway's usage plans with an SDK client whose adaptive retries slow it down when API Gateway throttles it; each call stays bounded. */
export function apiGatewayUsagePlans(namespace: string, plans: UsagePlanIds): ApiGatewayUsagePlans {
  const client = new APIGatewayClient({
    retryMode: 'adaptive',
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
  return new ApiGatewayUsagePlans(client, namespace, plans);
}

/**
 * API Gateway as the tenant service's UsagePlanGateway. CreateApiKey is limited
 * to 5 requests per second per account, and every other control-plane call to
 * 10 per second in all: the SDK's adaptive retry slows down on throttling, and
 * what is still throttled after it is a 503 with nothing recorded.
 */
export class ApiGatewayUsagePlans implements UsagePlanGateway {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly namespace: string,
    private readonly plans: UsagePlanIds,
  ) {}

  async findOrCreateKey(tenantId: string): Promise<string> {
    const name = usageKeyName(this.namespace, tenantId);
    const found = await this.findKey(name);
    if (found) return found;
    try {
      const created = await this.call(() =>
        this.client.send(new CreateApiKeyCommand({ name, value: usageKeyValue(this.namespace, tenantId), enabled: true })),
      );
      if (!created.id) throw new UsagePlansUnavailableError('API Gateway created an API key without an id.');
      return created.id;
    } catch (error) {
      // One made in between (by a request whose lease ran out) is the tenant's.
      if (error instanceof UsagePlansUnavailableError && error.cause instanceof ConflictException) {
        const made = await this.findKey(name);
        if (made) return made;
      }
      throw error;
    }
  }

  async addToPlan(keyId: string, plan: string): Promise<void> {
    try {
      await this.call(() =>
        this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId: this.idOf(plan), keyId, keyType: 'API_KEY' })),
      );
    } catch (error) {
      // Already in it: a repeat of an arrangement that got this far.
      if (!(error instanceof UsagePlansUnavailableError && error.cause instanceof ConflictException)) throw error;
    }
  }

  async removeFromPlan(keyId: string, plan: string): Promise<void> {
    try {
      await this.call(() => this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: this.idOf(plan), keyId })));
    } catch (error) {
      if (!(error instanceof UsagePlansUnavailableError && error.cause instanceof NotFoundException)) throw error;
    }
  }

  async dailyUsage(keyId: string, plan: string, from: string, to: string): Promise<DailyUsage[]> {
    const usagePlanId = this.plans.ids[plan];
    // A plan that is no longer declared has no usage plan to ask.
    if (usagePlanId === undefined) return [];
    const answer = await this.call(() =>
      this.client.send(new GetUsageCommand({ usagePlanId, keyId, startDate: from, endDate: to })),
    );
    // One [used, remaining] pair per day from the start date; no entry at all for a key with no requests.
    const days = answer.items?.[keyId] ?? [];
    const start = Date.parse(answer.startDate ?? from);
    return days.map(([used], index) => ({
      date: new Date(start + index * DAY_MS).toISOString().slice(0, 10),
      requests: used ?? 0,
    }));
  }

  private idOf(plan: string): string {
    const id = this.plans.ids[plan];
    if (id === undefined) throw new Error(`No usage plan for plan "${plan}"`);
    return id;
  }

  private async findKey(name: string): Promise<string | undefined> {
    let position: string | undefined;
    do {
      // nameQuery matches names that start with it: the exact one is picked out.
      const page = await this.call(() =>
        this.client.send(new GetApiKeysCommand({ nameQuery: name, includeValues: false, limit: 500, position })),
      );
      const match = page.items?.find((key) => key.name === name);
      if (match?.id) return match.id;
      position = page.position;
    } while (position);
    return undefined;
  }

  /**
   * API Gateway's failures as the domain's: the account's key limit, or a 503 with the cause kept.
   * LimitExceededException names both a count reached and a rate exceeded; only the first is final.
   */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof LimitExceededException && !/rate/i.test(error.message)) throw new TenantLimitError();
      throw new UsagePlansUnavailableError('API Gateway could not set up the usage plan right now; retry shortly.', error);
    }
  }
}
