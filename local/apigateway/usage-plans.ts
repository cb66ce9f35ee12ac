import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Plan, PlanDeclaration } from '../../src/plans';
import type { GatewayResponseType } from '../../src/problem';
import { daysBetween, quotaPeriodStart, utcDayClock } from './quota-period';
import { createTokenBucket, type TokenBucket } from './token-bucket';

/** An API Gateway API key as local mode keeps it: what CreateApiKey made. */
export interface LocalApiKey {
  id: string;
  name?: string;
  description?: string;
  customerId?: string;
  value: string;
  enabled: boolean;
  /** Epoch seconds, as API Gateway's JSON gives dates. */
  createdDate: number;
  lastUpdatedDate: number;
}

/** One declared plan as the usage plan local mode makes of it. */
export interface LocalUsagePlan {
  id: string;
  name: string;
  plan: Plan;
}

/** A REST API stage as usage plans name it: `{restApiId}:{stageName}`. */
export type ApiStage = `${string}:${string}`;

export const apiStageOf = (stage: { restApiId: string; name: string }): ApiStage => `${stage.restApiId}:${stage.name}`;

/** [used, remaining] for each day, as GetUsage answers. */
export type DailyUsage = [number, number][];

export type UsagePlanAdmission =
  | { admitted: true; apiKey: Pick<LocalApiKey, 'id' | 'value'> }
  | { admitted: false; refusal: GatewayResponseType };

export type AddKeyOutcome = 'added' | 'noSuchPlan' | 'noSuchKey' | 'alreadyInPlan' | 'inAnotherPlan';
export type RemoveKeyOutcome = 'removed' | 'noSuchPlan' | 'notInPlan';
export type StageChangeOutcome = 'changed' | 'noSuchPlan' | 'noSuchStage';

export interface UsagePlans {
  readonly plans: readonly LocalUsagePlan[];
  /** USAGE_PLANS, as the functions read it: the default plan's name and each plan's usage plan id. */
  readonly environment: { default: string; ids: Record<string, string> };
  createApiKey(input: Omit<LocalApiKey, 'id' | 'createdDate' | 'lastUpdatedDate'>): LocalApiKey | 'duplicateValue';
  apiKeys(): readonly LocalApiKey[];
  addKey(planId: string, keyId: string): AddKeyOutcome;
  removeKey(planId: string, keyId: string): RemoveKeyOutcome;
  /** Each key of the plan (or only `keyId`) with a day's usage for each day; undefined for an unknown plan. */
  usage(planId: string, days: { startDate: string; endDate: string }, keyId?: string): Record<string, DailyUsage> | undefined;
  /**
   * A stage local mode serves, at its start, as a deployment makes it: a stage new
   * to the saved state joins every usage plan (its stack's link), and so does every
   * stage for a plan new to it (a deployment that changes the plans puts every
   * stage back); a stage a saved plan lost stays lost until the reconciler runs.
   */
  deployStage(stage: ApiStage): void;
  /** The stages a usage plan covers; undefined for an unknown plan. */
  stagesOf(planId: string): ApiStage[] | undefined;
  /** UpdateUsagePlan's `add` or `remove` of `/apiStages`: only stages local mode serves can be added. */
  changeStages(planId: string, changes: { op: 'add' | 'remove'; stage: ApiStage }[]): StageChangeOutcome;
  /**
   * The usage plan check of a method that requires an API key, after the
   * authorizer allowed the request on `stage`: the refusal, or the API key it is
   * counted against. A key counts only in a usage plan that covers the stage.
   */
  admit(usageIdentifierKey: string | undefined, stage: ApiStage): UsagePlanAdmission;
}

export interface UsagePlansOptions {
  declaration: PlanDeclaration;
  /** The JSON file in DATA_DIR that keeps API keys and plan membership across restarts; none keeps them in memory. */
  file?: string;
  now?: () => number;
  /** Told of a plan membership dropped at start because PLANS_FILE no longer declares that plan. */
  warn?: (message: string) => void;
}

const refused = (refusal: GatewayResponseType): UsagePlanAdmission => ({ admitted: false, refusal });

/** The usage plan id local mode gives a declared plan: stable across restarts, so kept memberships stay valid. */
export const usagePlanId = (planName: string) => `local-${planName}`;

interface SavedState {
  apiKeys: LocalApiKey[];
  /** Usage plan id → the ids of its API keys. */
  planKeys: Record<string, string[]>;
  /** Usage plan id → the stages it covers (absent in files of earlier versions: every stage then). */
  planStages?: Record<string, ApiStage[]>;
  /** The stages local mode served when it saved. */
  deployedStages?: ApiStage[];
}

/** The saved file could not be read back: it was changed by hand, or by something else. */
export class UsagePlansFileError extends Error {}

function load(file: string | undefined): SavedState {
  if (!file || !existsSync(file)) return { apiKeys: [], planKeys: {} };
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
    if (Array.isArray(state.apiKeys) && typeof state.planKeys === 'object' && state.planKeys !== null) return state;
  } catch {
    // reported below
  }
  throw new UsagePlansFileError(`${file} is not the API keys file local mode writes; move it away to start afresh.`);
}

/** API Gateway's ids are ten lower-case letters and digits. */
const newId = () => Array.from(randomBytes(10), (byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('');

/**
 * API Gateway's usage plans for the local stages, one for each declared plan,
 * each covering the local REST API stages (as the stack makes them): API keys,
 * their membership of a plan, the stages of each plan, the token bucket and
 * quota of each (plan, key), and the requests counted per UTC day. Keys,
 * memberships and stages are saved to `file` on every change; the counts and
 * buckets live in memory only.
 */
export function createUsagePlans(options: UsagePlansOptions): UsagePlans {
  const now = options.now ?? Date.now;
  const plans: LocalUsagePlan[] = Object.entries(options.declaration.plans).map(([name, plan]) => ({
    id: usagePlanId(name),
    name,
    plan,
  }));
  const planById = new Map(plans.map((plan) => [plan.id, plan]));

  const saved = load(options.file);
  const apiKeys = new Map(saved.apiKeys.map((key) => [key.id, key]));
  /** Looked up on every request that requires an API key. */
  const keyByValue = new Map(saved.apiKeys.map((key) => [key.value, key]));
  const planKeys = new Map(plans.map((plan) => [plan.id, new Set<string>()]));
  /** Which stages each usage plan covers, kept like the memberships: API Gateway keeps them until something changes them. */
  const savedStages = saved.planStages ?? {};
  const planStages = new Map(plans.map((plan) => [plan.id, new Set<ApiStage>(savedStages[plan.id] ?? [])]));
  const previouslyDeployed = new Set(saved.deployedStages ?? []);
  const deployedStages = new Set<ApiStage>();
  let dropped = false;
  for (const [planId, keyIds] of Object.entries(saved.planKeys)) {
    const members = planKeys.get(planId);
    if (!members) {
      dropped = true;
      if (keyIds.length > 0)
        options.warn?.(
          `Dropped ${keyIds.length} API key(s) from usage plan ${planId}: no declared plan has that id any more. Their tenants get 503 until they are given a plan.`,
        );
      continue;
    }
    for (const keyId of keyIds) if (apiKeys.has(keyId)) members.add(keyId);
  }
  const save = () => {
    if (!options.file) return;
    const state: SavedState = {
      apiKeys: [...apiKeys.values()],
      planKeys: Object.fromEntries([...planKeys].map(([planId, members]) => [planId, [...members]])),
      planStages: Object.fromEntries([...planStages].map(([planId, stages]) => [planId, [...stages]])),
      deployedStages: [...deployedStages],
    };
    // Written whole, then renamed into place: a crash leaves the old file or the new one, never half of one.
    const draft = `${options.file}.${process.pid}.tmp`;
    writeFileSync(draft, JSON.stringify(state, null, 2), { mode: 0o600 });
    renameSync(draft, options.file);
  };
  if (dropped) save();

  const dayOf = utcDayClock();
  const buckets = new Map<string, TokenBucket>();
  /** (plan, key) → UTC day → requests that passed. */
  const counts = new Map<string, Map<string, number>>();
  const slot = (planId: string, keyId: string) => `${planId}\u0000${keyId}`;
  const planOf = (keyId: string) => plans.find((plan) => planKeys.get(plan.id)?.has(keyId));

  function usedOn(planId: string, keyId: string, day: string): number {
    return counts.get(slot(planId, keyId))?.get(day) ?? 0;
  }
  function usedInPeriodUpTo(usagePlan: LocalUsagePlan, keyId: string, day: string): number {
    const { quota } = usagePlan.plan;
    if (!quota) return 0;
    return daysBetween(quotaPeriodStart(quota.period, day), day).reduce(
      (sum, each) => sum + usedOn(usagePlan.id, keyId, each),
      0,
    );
  }

  return {
    plans,
    environment: {
      default: options.declaration.default,
      ids: Object.fromEntries(plans.map((plan) => [plan.name, plan.id])),
    },
    createApiKey(input) {
      if (keyByValue.has(input.value)) return 'duplicateValue';
      const at = Math.floor(now() / 1000);
      const key: LocalApiKey = { ...input, id: newId(), createdDate: at, lastUpdatedDate: at };
      apiKeys.set(key.id, key);
      keyByValue.set(key.value, key);
      save();
      return key;
    },
    apiKeys: () => [...apiKeys.values()],
    addKey(planId, keyId) {
      const members = planKeys.get(planId);
      if (!members) return 'noSuchPlan';
      if (!apiKeys.has(keyId)) return 'noSuchKey';
      if (members.has(keyId)) return 'alreadyInPlan';
      // Every local plan covers the same stages, and a key may be in only one usage plan per stage.
      if (planOf(keyId)) return 'inAnotherPlan';
      members.add(keyId);
      save();
      return 'added';
    },
    removeKey(planId, keyId) {
      const members = planKeys.get(planId);
      if (!members) return 'noSuchPlan';
      if (!members.delete(keyId)) return 'notInPlan';
      save();
      return 'removed';
    },
    deployStage(stage) {
      deployedStages.add(stage);
      for (const [planId, stages] of planStages) {
        if (!previouslyDeployed.has(stage) || !(planId in savedStages)) stages.add(stage);
      }
      save();
    },
    stagesOf(planId) {
      const stages = planStages.get(planId);
      return stages ? [...stages] : undefined;
    },
    changeStages(planId, changes) {
      const stages = planStages.get(planId);
      if (!stages) return 'noSuchPlan';
      if (changes.some(({ op, stage }) => op === 'add' && !deployedStages.has(stage))) return 'noSuchStage';
      for (const { op, stage } of changes) {
        if (op === 'add') stages.add(stage);
        else stages.delete(stage);
      }
      save();
      return 'changed';
    },
    usage(planId, { startDate, endDate }, keyId) {
      const usagePlan = planById.get(planId);
      const members = planKeys.get(planId);
      if (!usagePlan || !members) return undefined;
      const keys = [...members].filter((member) => keyId === undefined || member === keyId);
      const limit = usagePlan.plan.quota?.limit;
      return Object.fromEntries(
        keys.map((member) => [
          member,
          daysBetween(startDate, endDate).map((day): [number, number] => [
            usedOn(planId, member, day),
            // Without a quota nothing is counted down; AWS does not document what it answers then.
            limit === undefined ? 0 : Math.max(0, limit - usedInPeriodUpTo(usagePlan, member, day)),
          ]),
        ]),
      );
    },
    admit(usageIdentifierKey, stage) {
      // "API Gateway reads the key and compares it against the keys in the usage plan. If there is a match,
      // API Gateway throttles the requests [...]. Otherwise, it throws an InvalidKeyParameter exception."
      // ("Choose an API key source in API Gateway"): the gateway response INVALID_API_KEY. Only the usage
      // plans of the stage called count: a key whose plan lost the stage is refused as one in no plan.
      const key = usageIdentifierKey === undefined ? undefined : keyByValue.get(usageIdentifierKey);
      const usagePlan = key?.enabled ? planOf(key.id) : undefined;
      if (!key || !usagePlan || !planStages.get(usagePlan.id)?.has(stage)) return refused('INVALID_API_KEY');
      const today = dayOf(now());
      const { quota } = usagePlan.plan;
      if (quota && usedInPeriodUpTo(usagePlan, key.id, today) >= quota.limit) return refused('QUOTA_EXCEEDED');
      const at = slot(usagePlan.id, key.id);
      let bucket = buckets.get(at);
      if (!bucket) {
        bucket = createTokenBucket(usagePlan.plan, now);
        buckets.set(at, bucket);
      }
      if (!bucket.take()) return refused('THROTTLED');
      const days = counts.get(at) ?? new Map<string, number>();
      days.set(today, (days.get(today) ?? 0) + 1);
      counts.set(at, days);
      return { admitted: true, apiKey: { id: key.id, value: key.value } };
    },
  };
}

/** A value for an API key created without one: API Gateway makes 40 letters and digits. */
export function generatedKeyValue(): string {
  return Array.from(randomBytes(40), (byte) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[byte % 62]).join(
    '',
  );
}
