import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ENV, requiredEnv } from '../../src/config';
import { type PlanNames, TenantService } from '../../src/domain/tenants';
import { ApiGatewayUsagePlans, type UsagePlanIds } from './api-gateway-usage-plans';
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

/** Adaptive retries slow the client down when API Gateway throttles it; each call stays bounded. */
function adaptiveClient(): APIGatewayClient {
  return new APIGatewayClient({
    retryMode: 'adaptive',
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
}

/** The tenant service of this function's environment: the tenant table and API Gateway's usage plans. */
export function tenantServiceFromEnvironment(env: NodeJS.ProcessEnv = process.env): TenantService {
  const plans = usagePlansFromEnvironment(env);
  return new TenantService({
    records: tenantStoreFromEnvironment(),
    gateway: new ApiGatewayUsagePlans(adaptiveClient(), requiredEnv(ENV.usageKeyNamespace, env), plans),
    plans: planNamesOf(plans),
  });
}
