import { ENV, requiredEnv } from '../../src/config';
import { type PlanNames, TenantService, type UsagePlanGateway } from '../../src/domain/tenants';
import type { UsagePlanIds } from './api-gateway-usage-plans';
import { tenantStoreFromEnvironment } from './key-store';

/** The plans as the construct made them (USAGE_PLANS): the default's name, and each plan's usage plan id. */
export function usagePlansFromEnvironment(env: NodeJS.ProcessEnv = process.env): UsagePlanIds {
  const text = requiredEnv(ENV.usagePlans, env);
  const parsed = JSON.parse(text) as Partial<UsagePlanIds>;
  if (
    typeof parsed.default !== 'string' ||
    typeof parsed.ids !== 'object' ||
    parsed.ids === null ||
    !(parsed.default in parsed.ids)
  ) {
    throw new Error(`${ENV.usagePlans} is not a valid description of the usage plans`);
  }
  return { default: parsed.default, ids: parsed.ids };
}

function planNamesOf(plans: UsagePlanIds): PlanNames {
  return { default: plans.default, names: Object.keys(plans.ids) };
}

/**
 * API Gateway's usage plans, their SDK client loaded on the first call: the
 * functions that issue keys, and GET …/tenants/{tenantId}, call it only for a
 * tenant not arranged yet, so their cold start does not load it (docs/performance.md).
 */
function usagePlansOnFirstUse(namespace: string, plans: UsagePlanIds): UsagePlanGateway {
  let loading: Promise<UsagePlanGateway> | undefined;
  const gateway = () =>
    (loading ??= import('./api-gateway-usage-plans').then((module) => module.apiGatewayUsagePlans(namespace, plans)));
  return {
    findOrCreateKey: async (tenantId) => (await gateway()).findOrCreateKey(tenantId),
    addToPlan: async (keyId, plan) => (await gateway()).addToPlan(keyId, plan),
    removeFromPlan: async (keyId, plan) => (await gateway()).removeFromPlan(keyId, plan),
    dailyUsage: async (keyId, plan, from, to) => (await gateway()).dailyUsage(keyId, plan, from, to),
  };
}

/** The tenant service of this function's environment: the tenant table and API Gateway's usage plans, its settings read when it starts. */
export function tenantServiceFromEnvironment(env: NodeJS.ProcessEnv = process.env): TenantService {
  const plans = usagePlansFromEnvironment(env);
  return new TenantService({
    records: tenantStoreFromEnvironment(),
    gateway: usagePlansOnFirstUse(requiredEnv(ENV.usageKeyNamespace, env), plans),
    plans: planNamesOf(plans),
  });
}
