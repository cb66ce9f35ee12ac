import {
  type APIGatewayClient,
  ConflictException,
  GetUsagePlanCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { PlanStage } from '../../src/domain/plan-stages';
import { parametersUnder } from './parameters';

/**
 * UpdateUsagePlan is allowed one call every 20 seconds per account ("Amazon API
 * Gateway quotas", API Gateway Developer Guide): calls are spaced this far apart.
 */
const UPDATE_INTERVAL_MS = 21_000;

/** What is left of the function's run: Lambda's context. */
export interface RunBudget {
  getRemainingTimeInMillis(): number;
}

export interface UsagePlanStagesOptions {
  client: APIGatewayClient;
  budget: RunBudget;
  /** Kept back from the budget: what the function needs after its last call (a custom resource must still answer). */
  reserveMs: number;
  /** @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  now?: () => number;
  /** A number in [0, 1) that spreads waits apart. @default Math.random */
  random?: () => number;
}

/** The function ran out of time waiting for API Gateway's limit: the stages it had left are for the next run. */
export class OutOfTimeError extends Error {
  constructor(readonly cause: unknown) {
    super('No time left to wait for the UpdateUsagePlan limit');
    this.name = 'OutOfTimeError';
  }
}

/** Refused for the account's limit, or for another update of the same plan at the same moment: worth another try later. */
const isRetryable = (error: unknown) => error instanceof TooManyRequestsException || error instanceof ConflictException;

/**
 * The stages of API Gateway's usage plans, read and changed within the account's
 * limits. Its own updates are spaced UPDATE_INTERVAL_MS apart. One refused for
 * the limit (someone else's update took it: a deployment's, another run's) waits
 * an interval, then twice that, and so on, with jitter, for as long as the run
 * has time; then it gives up with OutOfTimeError, and never holds on so long that
 * a deployment waiting for the same limit would time out first.
 */
export class UsagePlanStages {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private lastUpdateAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: UsagePlanStagesOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The stages the usage plan covers, as `{restApiId}:{stageName}`; undefined when the plan is gone. */
  async stagesOf(usagePlanId: string): Promise<PlanStage[] | undefined> {
    try {
      const plan = await this.withinLimit(() => this.options.client.send(new GetUsagePlanCommand({ usagePlanId })));
      return (plan.apiStages ?? []).map(({ apiId, stage }) => `${apiId}:${stage}`);
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    }
  }

  /** Adds and removes stages of the usage plan in one UpdateUsagePlan; nothing to change is no call. */
  async change(usagePlanId: string, changes: { add?: readonly PlanStage[]; remove?: readonly PlanStage[] }): Promise<void> {
    const patchOperations = [
      ...(changes.add ?? []).map((value) => ({ op: 'add' as const, path: '/apiStages', value })),
      ...(changes.remove ?? []).map((value) => ({ op: 'remove' as const, path: '/apiStages', value })),
    ];
    if (patchOperations.length === 0) return;
    await this.withinLimit(async () => {
      await this.waitFor(this.lastUpdateAt + UPDATE_INTERVAL_MS - this.now());
      this.lastUpdateAt = this.now();
      return this.options.client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations }));
    });
  }

  private async withinLimit<T>(call: () => Promise<T>): Promise<T> {
    for (let refusals = 0; ; refusals++) {
      try {
        return await call();
      } catch (error) {
        if (!isRetryable(error)) throw error;
        const backoff = UPDATE_INTERVAL_MS * 2 ** Math.min(refusals, 3) * (1 + this.random() / 2);
        try {
          await this.waitFor(backoff);
        } catch {
          throw new OutOfTimeError(error);
        }
        // The back-off was the wait: the next attempt goes at once.
        this.lastUpdateAt = this.now() - UPDATE_INTERVAL_MS;
      }
    }
  }

  /** Waits, unless the run would have no time left for a call after it. */
  private async waitFor(ms: number): Promise<void> {
    if (ms <= 0) return;
    if (this.options.budget.getRemainingTimeInMillis() - ms < this.options.reserveMs) {
      throw new OutOfTimeError(undefined);
    }
    await this.sleep(ms);
  }
}

/** A stage registered for the usage plans: the value of its parameter. */
interface StageRegistration {
  restApiId: string;
  stageName: string;
}

/** Every stage registered under `path` (PLAN_STAGES_PATH), as usage plans name them. */
export async function registeredPlanStages(ssm: SSMClient, path: string): Promise<PlanStage[]> {
  const page = (NextToken: string | undefined) =>
    ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: true, NextToken }));
  return (await parametersUnder(page)).map((parameter) => {
    const { restApiId, stageName } = JSON.parse(parameter.Value ?? '') as Partial<StageRegistration>;
    if (!restApiId || !stageName) throw new Error(`Stage registration ${parameter.Name} is not valid`);
    return `${restApiId}:${stageName}`;
  });
}
