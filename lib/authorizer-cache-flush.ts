import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable, type IRole, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IScheduleGroup, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import type { FlushTarget } from '../src/domain/cache-flush';
import { FLUSH_QUEUE } from '../src/flush-queue';
import { ROUTELESS_GRANTS } from '../src/function-grants';
import { FLUSHER_ENTRY } from '../src/routes';
import { deployedSize } from './private/deployed-size';
import { consumeQueue } from './private/queue-consumer';
import { serviceFunction } from './private/service-function';
import { uniqueName } from './private/unique-name';

/** IAM's quotas ("IAM and AWS STS quotas", IAM User Guide): one managed policy's characters, whitespace aside, and managed policies per role. */
const IAM_LIMITS = { managedPolicy: 6_144, managedPoliciesPerRole: 10 } as const;

export interface AuthorizerCacheFlushProps {
  /** Retention of the flusher's log group. */
  readonly logRetention: RetentionDays;
  /**
   * X-Ray active tracing of the flusher.
   *
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * Everything that keeps the protected stages' authorizer caches from outliving a
 * key (the rules are in src/domain/cache-flush.ts):
 *
 * - a registry of the stages to flush: one Parameter Store parameter per stage
 *   under {@link targetsPath}, created in the stack that protects the stage;
 * - the flush queue, its dead-letter queue, and the flusher Lambda that consumes it;
 * - the EventBridge Scheduler group and role of the one-time schedules that queue
 *   a flush when a key expires or a rotation's grace period ends.
 *
 * Functions get each capability, its IAM and the settings its code reads from one
 * grant method, so a function cannot hold one without the other. Every function
 * that flushes may flush exactly the registered stages, whichever is registered first.
 */
export class AuthorizerCacheFlush extends Construct {
  /** The Parameter Store path under which each protected stage is registered. */
  readonly targetsPath: string;
  /** Follow-up flushes and the flushes scheduled for expiries. */
  readonly queue: IQueue;
  /** Flushes that failed every attempt. */
  readonly deadLetterQueue: IQueue;
  /** The queue's consumer. */
  readonly flusherFunction: IFunction;
  /** The group of the one-time flush schedules. */
  readonly scheduleGroup: IScheduleGroup;
  /** The role those schedules run with: it may only put a message on the flush queue. */
  readonly scheduleRole: IRole;

  /** Roles of the functions that flush, and the policies letting them flush each registered stage: one per stack. */
  private readonly flushingRoles: IRole[] = [];
  /** What each function was granted to schedule flushes: asked again (the expiry warnings' schedules share it), the same. */
  private readonly scheduling = new Map<LambdaFunction, Grant>();
  private readonly stagePolicies = new Map<Stack, { policy: ManagedPolicy; statement: PolicyStatement }>();

  constructor(scope: Construct, id: string, props: AuthorizerCacheFlushProps) {
    super(scope, id);
    this.targetsPath = `/api-key-service/${uniqueName(this, 'flush')}/targets`;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(FLUSH_QUEUE.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: FLUSH_QUEUE.maxReceiveCount },
    });

    const flusher = serviceFunction(this, 'Flusher', {
      entry: FLUSHER_ENTRY,
      timeout: Duration.seconds(FLUSH_QUEUE.flusherTimeoutSeconds),
      memorySize: 256,
      logRetention: props.logRetention,
      tracing: props.tracing,
    });
    ROUTELESS_GRANTS.flusher({ flushNow: () => this.grantFlushNow(flusher) });
    consumeQueue(this, 'FlusherQueueSource', flusher, this.queue, {
      batchSize: FLUSH_QUEUE.batchSize,
      maxBatchingWindow: Duration.seconds(FLUSH_QUEUE.maxBatchingWindowSeconds),
      // At most two batches at a time (the least Lambda allows) keep the flush rate bounded.
      maxConcurrency: 2,
    });
    this.flusherFunction = flusher;

    this.scheduleGroup = new ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: uniqueName(this, 'flush'),
      // Pending schedules go with the group: the caches they would flush go with the service.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Only Scheduler may assume it, and only for schedules of this account and group ("Confused deputy
    // prevention", EventBridge Scheduler User Guide: aws:SourceArn is the schedule group's ARN, never a schedule's).
    this.scheduleRole = new Role(this, 'ScheduleRole', {
      description:
        'Assumed by EventBridge Scheduler to queue an authorizer cache flush when a key expires, or its expiry warning.',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: {
          'aws:SourceAccount': Stack.of(this).account,
          'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
        },
      }),
    });
    // The schedules' target, and their dead-letter queue when the target cannot be reached.
    sendMessages(this.scheduleRole, this.queue, this.deadLetterQueue);
    this.node.addValidation({ validate: () => this.policySizeProblems() });
  }

  /**
   * Registers a REST API stage whose authorizer answers come from this service's
   * keys: every revocation and expiry flushes it. The registration lives in
   * `scope`, which may be in another stack of the same app (the one that owns the
   * API), so that stack depends on the service's and not the other way round.
   */
  registerRestStage(scope: Construct, id: string, restApiId: string, stageName: string): void {
    this.registerStage(
      new Construct(scope, id),
      { kind: 'rest', apiId: restApiId, stageName },
      `/restapis/${restApiId}/stages/${stageName}`,
    );
  }

  /** Registers an HTTP API stage that caches authorizer answers, as registerRestStage does a REST API stage. */
  registerHttpStage(scope: Construct, id: string, apiId: string, stageName: string): void {
    this.registerStage(new Construct(scope, id), { kind: 'http', apiId, stageName }, `/apis/${apiId}/stages/${stageName}`);
  }

  /**
   * Lets a function flush every registered stage now and queue follow-ups, and
   * tells it where the registry and the queue are.
   */
  grantFlushNow(fn: LambdaFunction): Grant {
    fn.addEnvironment(ENV.flushTargetsPath, this.targetsPath);
    fn.addEnvironment(ENV.flushQueueUrl, this.queue.queueUrl);
    // GetParametersByPath is authorized against the path asked for, not the parameters returned
    // ("How Parameter Store authorizes parameter retrieval", AWS Systems Manager User Guide).
    const { partition, region, account } = Stack.of(this);
    const registry = Grant.addToPrincipal({
      grantee: fn,
      actions: ['ssm:GetParametersByPath'],
      resourceArns: [`arn:${partition}:ssm:${region}:${account}:parameter${this.targetsPath}`],
    });
    const queue = sendMessages(fn, this.queue);
    // The stages themselves, by one managed policy per stack, attached as stacks register their first stage.
    const role = fn.role as IRole;
    this.flushingRoles.push(role);
    for (const { policy } of this.stagePolicies.values()) policy.attachToRole(role);
    return registry.combine(queue);
  }

  /**
   * Lets a function create and move the flush schedules, one per key, named at run
   * time (`scheduler:CreateSchedule` and `UpdateSchedule` in the group), and pass
   * the schedule role to EventBridge Scheduler and to nothing else (both calls pass
   * it: "Actions, resources, and condition keys for Amazon EventBridge Scheduler",
   * Service Authorization Reference).
   */
  grantScheduleFlush(fn: LambdaFunction): Grant {
    const granted = this.scheduling.get(fn);
    if (granted) return granted;
    fn.addEnvironment(ENV.flushScheduleGroup, this.scheduleGroup.scheduleGroupName);
    fn.addEnvironment(ENV.flushScheduleRoleArn, this.scheduleRole.roleArn);
    fn.addEnvironment(ENV.flushQueueArn, this.queue.queueArn);
    fn.addEnvironment(ENV.flushDeadLetterQueueArn, this.deadLetterQueue.queueArn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.scheduleRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.scheduleGroup.scheduleGroupName}/*]`,
        reason:
          "Flush and expiry warning schedules are created and moved at run time, one of each per key (flush-{keyId}, warn-{keyId}), so their names cannot be listed in advance; the wildcard covers only this service's own schedule group.",
      });
    }
    const grant = this.scheduleGroup.grantWriteSchedules(fn);
    this.scheduling.set(fn, grant);
    return grant;
  }

  /**
   * The parameter, and the stage in its stack's policy letting every flushing role
   * flush that stack's stages: FlushStageAuthorizersCache is `DELETE /restapis/{id}/stages/{stage}/cache/authorizers`,
   * which IAM authorizes as `apigateway:DELETE` on that path, this stage's cache and nothing else
   * (HTTP APIs' ResetAuthorizersCache likewise: `DELETE /v2/apis/{id}/stages/{stage}/cache/authorizers`).
   */
  private registerStage(registration: Construct, target: FlushTarget, stagePath: string): void {
    new StringParameter(registration, 'Parameter', {
      parameterName: `${this.targetsPath}/${uniqueName(registration, target.kind)}`,
      description: 'A stage whose authorizer cache the API key service flushes when a key is revoked or expires.',
      stringValue: Stack.of(registration).toJsonString(target),
    });
    const { partition, region } = Stack.of(registration);
    this.stagePolicyOf(Stack.of(registration)).statement.addResources(
      `arn:${partition}:apigateway:${region}::${stagePath}/cache/authorizers`,
    );
  }

  /**
   * The stack's policy of stages to flush: a managed policy, one per stack, so
   * that each stage adds to no role's inline policies (IAM caps those at 10,240
   * characters a role, about 80 stages), only to its own stack's policy.
   */
  private stagePolicyOf(stack: Stack): { policy: ManagedPolicy; statement: PolicyStatement } {
    const existing = this.stagePolicies.get(stack);
    if (existing) return existing;
    const statement = new PolicyStatement({ actions: ['apigateway:DELETE'] });
    const policy = new ManagedPolicy(stack, `AuthorizerCacheFlushStages${this.node.addr.slice(0, 8)}`, {
      description: "Lets the API key service's functions flush the authorizer caches of this stack's protected stages.",
      statements: [statement],
    });
    for (const role of this.flushingRoles) policy.attachToRole(role);
    const created = { policy, statement };
    this.stagePolicies.set(stack, created);
    return created;
  }

  /**
   * IAM's quotas, checked where a deployment would otherwise meet them only at
   * deploy: each stack's policy of stages, and the number of those policies every
   * flushing role holds (one per stack with a stage that caches). A role's own
   * grants are its default policy, which aws-cdk-lib moves into managed policies
   * of its own past IAM's 10,240 characters of inline policies per role.
   */
  private policySizeProblems(): string[] {
    const problems: string[] = [];
    for (const [stack, { policy }] of this.stagePolicies) {
      const size = deployedSize(policy, policy.document);
      if (size > IAM_LIMITS.managedPolicy) {
        problems.push(
          `The policy letting the service flush the stages of ${stack.node.path} could take ${size} characters once deployed; ` +
            `IAM allows ${IAM_LIMITS.managedPolicy} (managed policy size). Protect some of its APIs from another stack, ` +
            'or with cacheTtl Duration.seconds(0).',
        );
      }
    }
    if (this.stagePolicies.size > IAM_LIMITS.managedPoliciesPerRole) {
      problems.push(
        `${this.stagePolicies.size} stacks hold protected stages whose authorizer caches, each with its policy for every flushing ` +
          `role; IAM allows ${IAM_LIMITS.managedPoliciesPerRole} (managed policies per role). Protect those APIs from fewer ` +
          'stacks, some with cacheTtl Duration.seconds(0), or with another ApiKeyService.',
      );
    }
    return problems;
  }
}

/** SendMessage alone: a grant method of the queue would add GetQueueUrl and GetQueueAttributes, which nothing calls. */
function sendMessages(grantee: IGrantable, ...queues: IQueue[]): Grant {
  return Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: queues.map((queue) => queue.queueArn) });
}
