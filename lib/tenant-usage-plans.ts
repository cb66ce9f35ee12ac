import { createHash } from 'node:crypto';
import { type CfnElement, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import { type IUsagePlan, Period, type RestApi, type Stage, UsagePlan } from 'aws-cdk-lib/aws-apigateway';
import { Grant, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import type { PlanDeclaration, QuotaPeriod } from '../src/plans';
import { USAGE_PLAN_LINK_ENTRY, type UsagePlanOperation } from '../src/routes';
import { serviceFunction } from './private/service-function';

export interface TenantUsagePlansProps {
  /** The plans, each made an API Gateway usage plan. */
  readonly plans: PlanDeclaration;
  /** Retention of the log group of the function that adds other stacks' stages to the plans. */
  readonly logRetention: RetentionDays;
  /** X-Ray active tracing on that function. */
  readonly tracing: boolean;
}

const PERIODS: Record<QuotaPeriod, Period> = { DAY: Period.DAY, WEEK: Period.WEEK, MONTH: Period.MONTH };

/**
 * UpdateUsagePlan is limited to one call every 20 seconds per account, so adding
 * a stage to many plans takes minutes; the linking function waits out the limit.
 */
const LINK_TIMEOUT = Duration.minutes(14);

/**
 * The plans as API Gateway usage plans (the throttle and quota of each), covering
 * every protected REST API stage (the service's own among them), so that one tenant's
 * limit holds across all of them. Each tenant that has keys has one API Gateway
 * API key, in the usage plan of its plan; the authorizer names that key as the
 * request's `usageIdentifierKey`.
 */
export class TenantUsagePlans extends Construct {
  /** The usage plan of each plan, by plan name. */
  readonly usagePlans: Readonly<Record<string, IUsagePlan>>;
  /** The deployment's part in the names and values of tenants' API Gateway API keys. */
  readonly namespace: string;

  private readonly plans: PlanDeclaration;
  private readonly logRetention: RetentionDays;
  private readonly tracing: boolean;
  private readonly ownUsagePlans: Record<string, UsagePlan> = {};

  constructor(scope: Construct, id: string, props: TenantUsagePlansProps) {
    super(scope, id);
    this.plans = props.plans;
    this.logRetention = props.logRetention;
    this.tracing = props.tracing;
    // The stack's name and the construct's place in it: unique per account and Region, like the stack.
    this.namespace = `${Stack.of(this).stackName}-${createHash('sha256').update(this.node.path).digest('hex').slice(0, 8)}`;
    for (const [name, plan] of Object.entries(props.plans.plans)) {
      this.ownUsagePlans[name] = new UsagePlan(this, `Plan-${name}`, {
        name: `${Stack.of(this).stackName}-${name}`,
        description: `The "${name}" plan of the API key service's tenants.`,
        throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
        ...(plan.quota ? { quota: { limit: plan.quota.limit, period: PERIODS[plan.quota.period] } } : {}),
        // No stages here: each is added by a custom resource (addStage), so nothing the functions refer to
        // depends on a stage, which depends on the methods, which depend on the functions.
      });
    }
    this.usagePlans = this.ownUsagePlans;
  }

  /**
   * Puts a protected REST API stage under the plans: a custom resource in
   * `scope`'s stack (which may be another than the service's, and depends on it)
   * adds the stage to each usage plan, and takes it off again when it goes.
   */
  addStage(scope: Construct, id: string, api: RestApi, stage: Stage): void {
    const link = new Construct(scope, id);
    const fn = this.linkFunction(Stack.of(scope));
    new CustomResource(link, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::UsagePlanStage',
      properties: {
        UsagePlanIds: Object.values(this.ownUsagePlans).map((usagePlan) => usagePlan.usagePlanId),
        Stage: `${api.restApiId}:${stage.stageName}`,
        // A new plan, or one replaced, gets the stage again.
        Plans: this.plans,
      },
    });
  }

  /**
   * Gives a function what its operations need: the plans' settings (`USAGE_PLANS`,
   * `USAGE_KEY_NAMESPACE`) and the API Gateway calls, on these usage plans and API
   * keys only. IAM authorizes API Gateway's control plane by HTTP verb on the
   * resource path ("Control access for managing an API", API Gateway Developer Guide).
   * `readPlans` alone needs no call, and so no statement: its grant adds none.
   */
  grantOperations(fn: LambdaFunction, operations: readonly UsagePlanOperation[]): Grant {
    let grant = Grant.drop(fn, 'the usage plans');
    if (operations.length === 0) return grant;
    fn.addEnvironment(ENV.usageKeyNamespace, this.namespace);
    fn.addEnvironment(
      ENV.usagePlans,
      Stack.of(this).toJsonString({
        default: this.plans.default,
        ids: Object.fromEntries(Object.entries(this.ownUsagePlans).map(([name, plan]) => [name, plan.usagePlanId])),
      }),
    );
    const { partition, region } = Stack.of(this);
    const path = (resource: string) => `arn:${partition}:apigateway:${region}::${resource}`;
    const plans = Object.values(this.ownUsagePlans).map((plan) => plan.usagePlanId);
    const allow = (actions: string[], resourceArns: string[]) => {
      grant = grant.combine(Grant.addToPrincipal({ grantee: fn, actions, resourceArns }));
    };
    if (operations.includes('arrangeKeys')) {
      // GetApiKeys and CreateApiKey; CreateUsagePlanKey and DeleteUsagePlanKey.
      allow(['apigateway:GET', 'apigateway:POST'], [path('/apikeys')]);
      allow(
        ['apigateway:POST'],
        plans.map((id) => path(`/usageplans/${id}/keys`)),
      );
      allow(
        ['apigateway:DELETE'],
        plans.map((id) => path(`/usageplans/${id}/keys/*`)),
      );
      for (const plan of Object.values(this.ownUsagePlans)) {
        const logicalId = Stack.of(this).getLogicalId(plan.node.defaultChild as CfnElement);
        Validations.of(fn.role as IRole).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/usageplans/<${logicalId}>/keys/*]`,
          reason:
            "DeleteUsagePlanKey names the tenant's API Gateway API key, made at run time, so its id cannot be listed in advance; the wildcard covers only the keys of this service's own usage plans.",
        });
      }
    }
    if (operations.includes('readUsage')) {
      allow(
        ['apigateway:GET'],
        plans.map((id) => path(`/usageplans/${id}/usage`)),
      );
    }
    return grant;
  }

  /**
   * Lets the authorizer name each tenant's API Gateway API key (`USAGE_KEY_NAMESPACE`),
   * which it derives without a call: the grant adds no statement.
   */
  grantUsageIdentifier(fn: LambdaFunction): Grant {
    fn.addEnvironment(ENV.usageKeyNamespace, this.namespace);
    return Grant.drop(fn, "naming tenants' API Gateway API keys");
  }

  /** One linking function per stack, allowed to read and change these usage plans only. */
  private linkFunction(stack: Stack): LambdaFunction {
    const id = `UsagePlanStageLink${this.node.addr.slice(0, 8)}`;
    const existing = stack.node.tryFindChild(id) as LambdaFunction | undefined;
    if (existing) return existing;
    const fn = serviceFunction(stack, id, {
      entry: USAGE_PLAN_LINK_ENTRY,
      timeout: LINK_TIMEOUT,
      memorySize: 256,
      logRetention: this.logRetention,
      tracing: this.tracing,
    });
    const { partition, region } = Stack.of(this);
    fn.addToRolePolicy(
      new PolicyStatement({
        // GetUsagePlan, and UpdateUsagePlan to add or remove the stage.
        actions: ['apigateway:GET', 'apigateway:PATCH'],
        resources: Object.values(this.ownUsagePlans).map(
          (plan) => `arn:${partition}:apigateway:${region}::/usageplans/${plan.usagePlanId}`,
        ),
      }),
    );
    return fn;
  }
}
