import { createHash } from 'node:crypto';
import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IRestApi } from 'aws-cdk-lib/aws-apigateway';
import { type Grant, type IRole, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type IScheduleGroup, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { ENV } from '../src/config';

export interface AuthorizerCacheFlushProps {
  /** The RestApi whose stage cache the flushes clear. */
  readonly restApi: IRestApi;
  /** Its stage. A literal, not `api.deploymentStage.stageName`: the stage depends on the functions granted here. */
  readonly stageName: string;
}

/**
 * Everything that keeps the stage's authorizer cache from outliving a key: the
 * permission to flush it now, and the EventBridge Scheduler group and role of the
 * one-time schedules that flush it when a key expires or a rotation's grace period
 * ends (at most one per key, moved when the key's expiry changes, deleted once it has run).
 *
 * Functions get each capability, its IAM and the settings its code reads, from
 * one grant method, so a function cannot hold one without the other.
 */
export class AuthorizerCacheFlush extends Construct {
  /** The group of the one-time flush schedules. */
  readonly scheduleGroup: IScheduleGroup;
  /** The role those schedules run with: it may only flush the stage's authorizer cache. */
  readonly scheduleRole: IRole;

  private readonly restApi: IRestApi;
  private readonly stageName: string;

  constructor(scope: Construct, id: string, props: AuthorizerCacheFlushProps) {
    super(scope, id);
    this.restApi = props.restApi;
    this.stageName = props.stageName;
    this.scheduleGroup = new ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: scheduleGroupName(this),
      // Pending schedules go with the group: the cache they would flush goes with the API.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // EventBridge Scheduler's universal target (arn:aws:scheduler:::aws-sdk:apigateway:flushStageAuthorizersCache)
    // calls the API with this role, so the role needs the API's own permission. Only Scheduler may assume it, and
    // only for schedules of this account and group ("Confused deputy prevention", EventBridge Scheduler User Guide:
    // aws:SourceArn is the schedule group's ARN, never a schedule's).
    this.scheduleRole = new Role(this, 'ScheduleRole', {
      description: "Assumed by EventBridge Scheduler to flush the API stage's authorizer cache when a key expires.",
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: {
          'aws:SourceAccount': Stack.of(this).account,
          'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
        },
      }),
      // Inline, so the permission exists as soon as the role does.
      inlinePolicies: { FlushAuthorizerCache: new PolicyDocument({ statements: [this.flushStatement()] }) },
    });
  }

  /** Lets a function flush the stage's authorizer cache now, and tells it which stage. */
  grantFlushNow(fn: LambdaFunction): void {
    this.tellStage(fn);
    fn.addToRolePolicy(this.flushStatement());
  }

  /**
   * Lets a function create and move the flush schedules, one per key, named at run
   * time (`scheduler:CreateSchedule` and `UpdateSchedule` in the group), and pass
   * the schedule role to EventBridge Scheduler and to nothing else (both calls pass
   * it: "Actions, resources, and condition keys for Amazon EventBridge Scheduler",
   * Service Authorization Reference).
   */
  grantScheduleFlush(fn: LambdaFunction): Grant {
    this.tellStage(fn);
    fn.addEnvironment(ENV.flushScheduleGroup, this.scheduleGroup.scheduleGroupName);
    fn.addEnvironment(ENV.flushScheduleRoleArn, this.scheduleRole.roleArn);
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
          "Flush schedules are created and moved at run time, one per key (flush-{keyId}), so their names cannot be listed in advance; the wildcard covers only this service's own schedule group.",
      });
    }
    return this.scheduleGroup.grantWriteSchedules(fn);
  }

  /** A scheduled flush names the API and stage in its input, so both capabilities need them. */
  private tellStage(fn: LambdaFunction): void {
    fn.addEnvironment(ENV.restApiId, this.restApi.restApiId);
    fn.addEnvironment(ENV.stageName, this.stageName);
  }

  /**
   * FlushStageAuthorizersCache is `DELETE /restapis/{id}/stages/{stage}/cache/authorizers`,
   * which IAM authorizes as `apigateway:DELETE` on that path: this stage's cache, nothing else.
   */
  private flushStatement(): PolicyStatement {
    const { partition, region } = Stack.of(this);
    return new PolicyStatement({
      actions: ['apigateway:DELETE'],
      resources: [
        `arn:${partition}:apigateway:${region}::/restapis/${this.restApi.restApiId}/stages/${this.stageName}/cache/authorizers`,
      ],
    });
  }
}

/**
 * A literal name, unique per account and Region like the stack's own name: the
 * stack name, then a hash of the construct's path, e.g. `ApiKeyService-flush-1a2b3c4d`.
 * At most 64 characters, as Scheduler allows.
 */
function scheduleGroupName(scope: Construct): string {
  const stackName = Stack.of(scope).stackName;
  const hash = createHash('sha256').update(scope.node.path).digest('hex').slice(0, 8);
  const suffix = `-flush-${hash}`;
  const prefix = Token.isUnresolved(stackName) ? 'ApiKeyService' : stackName.slice(0, 64 - suffix.length);
  return `${prefix}${suffix}`;
}
