/**
 * Plans: what each tenant may send, declared once (config/plans.json) and read by
 * the CDK construct, which makes an API Gateway usage plan of each, and by local
 * mode, which enforces them itself. No zod: the construct's users get the same
 * checks and messages without it.
 */

export type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH';

export interface Plan {
  /** Steady requests per second. */
  rateLimit: number;
  /** Requests a tenant may send at once, above the steady rate. */
  burstLimit: number;
  /** Requests per period; none means no quota. */
  quota?: { limit: number; period: QuotaPeriod };
}

export interface PlanDeclaration {
  /** The plan of tenants that were never given one. */
  default: string;
  plans: Record<string, Plan>;
}

export const PLAN_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
const QUOTA_PERIODS: readonly QuotaPeriod[] = ['DAY', 'WEEK', 'MONTH'];
/** API Gateway's own bounds: an account's throttle is 10,000 requests per second by default. */
const MAX_RATE = 10_000;
const MAX_BURST = 5_000;
/** Each plan is an API Gateway usage plan, and an account has 300 of them per Region. */
export const MAX_PLANS = 300;

export class InvalidPlansError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The plans declaration is not valid: ${problems.join('; ')}`);
    this.name = 'InvalidPlansError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function positiveInteger(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= max;
}

function planProblems(name: string, plan: unknown): string[] {
  if (!PLAN_NAME_PATTERN.test(name)) return [`plan name "${name}" must match ${PLAN_NAME_PATTERN.source}`];
  if (!isRecord(plan)) return [`plans.${name} must be an object`];
  const problems: string[] = [];
  const unknown = Object.keys(plan).filter((field) => !['rateLimit', 'burstLimit', 'quota'].includes(field));
  if (unknown.length > 0) problems.push(`plans.${name} has unknown fields: ${unknown.join(', ')}`);
  if (!positiveInteger(plan.rateLimit, MAX_RATE))
    problems.push(`plans.${name}.rateLimit must be an integer from 1 to ${MAX_RATE}`);
  if (!positiveInteger(plan.burstLimit, MAX_BURST)) {
    problems.push(`plans.${name}.burstLimit must be an integer from 1 to ${MAX_BURST}`);
  }
  if (plan.quota !== undefined) {
    const { quota } = plan;
    if (!isRecord(quota)) problems.push(`plans.${name}.quota must be an object`);
    else {
      if (!positiveInteger(quota.limit, Number.MAX_SAFE_INTEGER))
        problems.push(`plans.${name}.quota.limit must be a positive integer`);
      if (!QUOTA_PERIODS.includes(quota.period as QuotaPeriod)) {
        problems.push(`plans.${name}.quota.period must be one of ${QUOTA_PERIODS.join(', ')}`);
      }
      const extra = Object.keys(quota).filter((field) => field !== 'limit' && field !== 'period');
      if (extra.length > 0) problems.push(`plans.${name}.quota has unknown fields: ${extra.join(', ')}`);
    }
  }
  return problems;
}

/** The declaration, checked whole: every problem is named at once. */
export function parsePlans(value: unknown): PlanDeclaration {
  if (!isRecord(value)) throw new InvalidPlansError(['it must be a JSON object with "default" and "plans"']);
  const problems: string[] = [];
  const extra = Object.keys(value).filter((field) => field !== 'default' && field !== 'plans');
  if (extra.length > 0) problems.push(`unknown fields: ${extra.join(', ')}`);
  const { plans } = value;
  if (!isRecord(plans) || Object.keys(plans).length === 0) problems.push('"plans" must be an object naming at least one plan');
  else {
    if (Object.keys(plans).length > MAX_PLANS) problems.push(`at most ${MAX_PLANS} plans (API Gateway's usage plans per Region)`);
    for (const [name, plan] of Object.entries(plans)) problems.push(...planProblems(name, plan));
    if (typeof value.default !== 'string' || !(value.default in plans)) {
      problems.push(`"default" must name one of the plans (${Object.keys(plans).join(', ')})`);
    }
  }
  if (problems.length > 0) throw new InvalidPlansError(problems);
  return value as unknown as PlanDeclaration;
}
