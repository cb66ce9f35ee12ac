import { createHash } from 'node:crypto';
import { type CfnElement, CustomResource, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnUsagePlan, type IUsagePlan, Period, type RestApi, type Stage, UsagePlan } from 'aws-cdk-lib/aws-apigateway';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { ROUTELESS_GRANTS } from '../src/function-grants';
import type { PlanDeclaration, QuotaPeriod } from '../src/plans';
import { USAGE_PLAN_LINK_ENTRY, USAGE_PLAN_RECONCILER_ENTRY, type UsagePlanOperation } from '../src/routes';
import { serviceFunction } from './private/service-function';
import { uniqueName } from './private/unique-name';
import type { TenantTable } from './tenant-table';

export interface TenantUsagePlansProps {
  /** The plans, each made an API Gateway usage plan. */
  readonly plans: PlanDeclaration;
  /** The tenant table, where the reconciler finds tenants' plan moves cut short. */
  readonly tenantTable: TenantTable;
  /** The CloudWatch namespace the reconciler publishes `UnlinkedStages` to. */
  readonly metricsNamespace: string;
  /** Retention of the log groups of the functions that link stages to the plans and reconcile them. */
  readonly logRetention: RetentionDays;
  /** X-Ray active tracing on those functions. */
  readonly tracing: boolean;
}

const PERIODS: Record<QuotaPeriod, Period> = { DAY: Period.DAY, WEEK: Period.WEEK, MONTH: Period.MONTH };

/**
 * UpdateUsagePlan is limited to one call every 20 seconds per account: a
 * stack's link makes one per plan, and waits out the limit when a deployment of
 * another stack, or the reconciler, holds it.
 */
const LINK_TIMEOUT = Duration.minutes(14);
/** How often the reconciler looks for stages missing from the plans: the longest a stage stays lost. */
const RECONCILE_INTERVAL = Duration.minutes(5);
/** Within the interval, so that two runs never compete for the account's UpdateUsagePlan limit. */
const RECONCILER_TIMEOUT = Duration.minutes(4);
/**
 * The most protected REST API stages the construct puts under one usage plan.
 * AWS documents no quota of its own here; the stages missing from a plan are put
 * back in one UpdateUsagePlan, whose size API Gateway bounds without saying how
 * far, so the construct stays well within what it has tested.
 */
export const MAX_STAGES_PER_USAGE_PLAN = 200;

/**
 * The plans as API Gateway usage plans (the throttle and quota of each), covering
 * every protected REST API stage (the service's own among them), so that one tenant's
 * limit holds across all of them. Each tenant that has keys has one API Gateway
 * API key, in the usage plan of its plan; the authorizer names that key as the
 * request's `usageIdentifierKey`.
 *
 * Stages are added to the plans outside CloudFormation (a usage plan's own
 * `ApiStages` would make the plans, and so the functions, depend on every
 * protected API), and CloudFormation's update of a usage plan can drop them. So:
 * each stage is registered in Parameter Store under {@link stagesPath}; each stack
 * links its stages with one custom resource; every deployment that changes a plan
 * puts every registered stage back; and the reconciler does so on a schedule.
 */
export class TenantUsagePlans extends Construct {
  /** The usage plan of each plan, by plan name. */
  readonly usagePlans: Readonly<Record<string, IUsagePlan>>;
  /** The deployment's part in the names and values of tenants' API Gateway API keys. */
  readonly namespace: string;
  /** The Parameter Store path under which every protected REST API stage is registered, one parameter each. */
  readonly stagesPath: string;
  /** Puts registered stages back in the plans on its schedule and at deployments; finishes tenants' plan moves cut short. */
  readonly reconcilerFunction: IFunction;

  private readonly plans: PlanDeclaration;
  private readonly logRetention: RetentionDays;
  private readonly tracing: boolean;
  private readonly ownUsagePlans: Record<string, UsagePlan> = {};
  /** The stages of each stack's link, by stack. */
  private readonly links = new Map<Stack, { resource: CustomResource; stages: string[] }>();
  private readonly relink: CustomResource;
  private registeredStages = 0;

  constructor(scope: Construct, id: string, props: TenantUsagePlansProps) {
    super(scope, id);
    this.plans = props.plans;
    this.logRetention = props.logRetention;
    this.tracing = props.tracing;
    // The stack's name and the construct's place in it: unique per account and Region, like the stack.
    this.namespace = `${Stack.of(this).stackName}-${createHash('sha256').update(this.node.path).digest('hex').slice(0, 8)}`;
    this.stagesPath = `/api-key-service/${uniqueName(this, 'plans')}/stages`;
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

    const reconciler = serviceFunction(this, 'Reconciler', {
      entry: USAGE_PLAN_RECONCILER_ENTRY,
      timeout: RECONCILER_TIMEOUT,
      memorySize: 256,
      logRetention: props.logRetention,
      tracing: props.tracing,
    });
    ROUTELESS_GRANTS.usagePlanReconciler({
      reconcileStages: () => {
        this.grantStageLinks(reconciler);
        reconciler.addEnvironment(ENV.metricsNamespace, props.metricsNamespace);
      },
      usagePlans: (operations) => this.grantOperations(reconciler, operations),
      tenantTable: (actions) => props.tenantTable.grantAccess(reconciler, actions),
    });
    // A run is at most one UpdateUsagePlan per plan: with none retried, the next run is the retry.
    new Rule(this, 'ReconcileSchedule', {
      description: 'Puts protected stages back in the usage plans they were dropped from.',
      schedule: Schedule.rate(RECONCILE_INTERVAL),
      targets: [new LambdaTarget(reconciler, { retryAttempts: 0 })],
    });
    this.reconcilerFunction = reconciler;

    // Updated whenever a usage plan is: CloudFormation's update of a plan may have just dropped stages.
    this.relink = new CustomResource(this, 'Relink', {
      serviceToken: reconciler.functionArn,
      resourceType: 'Custom::UsagePlanRelink',
      properties: {
        UsagePlanIds: this.usagePlanIds(),
        Plans: Lazy.string({ produce: () => this.plansFingerprint() }),
      },
    });

    this.node.addValidation({
      validate: () =>
        this.registeredStages > MAX_STAGES_PER_USAGE_PLAN
          ? [
              `The usage plans would cover ${this.registeredStages} protected REST API stages; the construct puts at most ` +
                `${MAX_STAGES_PER_USAGE_PLAN} stages under one usage plan (stages per usage plan, docs/construct.md#limits). ` +
                'Protect some of these APIs with another ApiKeyService.',
            ]
          : [],
    });
  }

  /**
   * Puts a protected REST API stage under the plans: registers it (a parameter in
   * `scope`'s stack, which may be another than the service's and depends on it),
   * and adds it to the link of that stack, which adds it to each usage plan and
   * takes it off again when it goes.
   */
  addStage(scope: Construct, id: string, api: RestApi, stage: Stage): void {
    const registration = new Construct(scope, id);
    const link = this.linkOf(Stack.of(scope));
    // The stage's name is its Ref: the link is made after the stage, and deleted before it.
    link.stages.push(`${api.restApiId}:${stage.stageName}`);
    const parameter = new StringParameter(registration, 'Registration', {
      parameterName: `${this.stagesPath}/${uniqueName(registration, 'rest')}`,
      description: 'A REST API stage the API key service keeps in its usage plans.',
      stringValue: Stack.of(registration).toJsonString({ restApiId: api.restApiId, stageName: stage.stageName }),
    });
    // Deleted before the link: a link deleted while the stage is still registered leaves it in the plans.
    parameter.node.addDependency(link.resource);
    this.registeredStages += 1;
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
    const plans = this.usagePlanIds();
    const allow = (actions: string[], resourceArns: string[]) => {
      grant = grant.combine(Grant.addToPrincipal({ grantee: fn, actions, resourceArns }));
    };
    if (operations.includes('arrangeKeys')) {
      // GetApiKeys and CreateApiKey.
      allow(['apigateway:GET', 'apigateway:POST'], [this.path('/apikeys')]);
    }
    if (operations.includes('arrangeKeys') || operations.includes('finishMoves')) {
      // CreateUsagePlanKey and DeleteUsagePlanKey.
      allow(
        ['apigateway:POST'],
        plans.map((id) => this.path(`/usageplans/${id}/keys`)),
      );
      allow(
        ['apigateway:DELETE'],
        plans.map((id) => this.path(`/usageplans/${id}/keys/*`)),
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
        plans.map((id) => this.path(`/usageplans/${id}/usage`)),
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

  /**
   * Lets a function read the registered stages and read and change the stages of
   * these usage plans: GetParametersByPath on the registry (authorized against the
   * path asked for: "How Parameter Store authorizes parameter retrieval", Systems
   * Manager User Guide), GetUsagePlan and UpdateUsagePlan.
   */
  private grantStageLinks(fn: LambdaFunction): void {
    fn.addEnvironment(ENV.planStagesPath, this.stagesPath);
    const { partition, region, account } = Stack.of(this);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [`arn:${partition}:ssm:${region}:${account}:parameter${this.stagesPath}`],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['apigateway:GET', 'apigateway:PATCH'],
        resources: this.usagePlanIds().map((id) => this.path(`/usageplans/${id}`)),
      }),
    );
  }

  /** The link of a stack's stages: one custom resource and its function, made with the stack's first stage. */
  private linkOf(stack: Stack): { resource: CustomResource; stages: string[] } {
    const existing = this.links.get(stack);
    if (existing) return existing;
    const suffix = this.node.addr.slice(0, 8);
    const fn = serviceFunction(stack, `UsagePlanStageLink${suffix}`, {
      entry: USAGE_PLAN_LINK_ENTRY,
      timeout: LINK_TIMEOUT,
      memorySize: 256,
      logRetention: this.logRetention,
      tracing: this.tracing,
    });
    this.grantStageLinks(fn);
    const stages: string[] = [];
    const resource = new CustomResource(stack, `UsagePlanStages${suffix}`, {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::UsagePlanStages',
      properties: { UsagePlanIds: this.usagePlanIds(), Stages: Lazy.list({ produce: () => stages }) },
    });
    // The service's own stages are linked before the deployment puts every registered stage back.
    if (stack === Stack.of(this)) this.relink.node.addDependency(resource);
    const link = { resource, stages };
    this.links.set(stack, link);
    return link;
  }

  private usagePlanIds(): string[] {
    return Object.values(this.ownUsagePlans).map((plan) => plan.usagePlanId);
  }

  /** Everything CloudFormation may update on a usage plan (name, description, throttle, quota, tags), as a digest. */
  private plansFingerprint(): string {
    const stack = Stack.of(this);
    const rendered = Object.values(this.ownUsagePlans).map((plan) => {
      const cfn = plan.node.defaultChild as CfnUsagePlan;
      return stack.resolve({
        name: cfn.usagePlanName,
        description: cfn.description,
        throttle: cfn.throttle,
        quota: cfn.quota,
        tags: cfn.tags.renderTags(),
      });
    });
    return createHash('sha256').update(JSON.stringify(rendered)).digest('hex');
  }

  /** An API Gateway control-plane resource of the service's Region, as IAM names it. */
  private path(resource: string): string {
    const { partition, region } = Stack.of(this);
    return `arn:${partition}:apigateway:${region}::${resource}`;
  }
}
