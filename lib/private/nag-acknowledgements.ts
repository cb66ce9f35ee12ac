import { Validations } from 'aws-cdk-lib';
import type { Method, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { UserPool } from 'aws-cdk-lib/aws-cognito';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Route } from '../../src/routes';

/** cdk-nag findings on the service's API that are decisions, not oversights; each names its rule and why. */
export function acknowledgeApiFindings(api: RestApi, hasWebAcl: boolean): void {
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG2',
    reason:
      'Bodies and parameters are validated by zod in the handlers, which answer 400/413/415 as problem+json with per-field errors; an API Gateway validator would answer differently.',
  });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-COG4',
    reason:
      'Admin routes use IAM (SigV4), key routes the x-api-key Lambda authorizer, and console routes a Lambda JWT authorizer, so that the console accepts any OpenID Connect issuer, not only Cognito.',
  });
  if (!hasWebAcl) {
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'WAF is opt-in (webAclArn) because it bills per request: malformed keys are refused by checksum before any read, and the stage is throttled.',
    });
  }
  const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
  if (cloudWatchRole) {
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role uses the AWS managed policy AWS documents for it; it only allows writing to CloudWatch Logs.",
    });
  }
}

/** A route the route table opens to anyone (authorization `none`): the API's own description, which holds no data. */
export function acknowledgeOpenMethod(method: Method): void {
  Validations.of(method).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: 'GET /openapi.json serves the API description, the same for every caller and generated from code; it reads no data.',
  });
}

/**
 * The routes that end leaked keys are open by design: whoever holds a key may end it
 * (POST /revoke), and GitHub, which signs what it sends, reports keys it found in public.
 */
export function acknowledgePublicRevocationMethod(method: Method, route: Pick<Route, 'method' | 'path' | 'handler'>): void {
  const reasons: Partial<Record<Route['handler'], string>> = {
    revokeKeyBySecret:
      'POST /revoke lets whoever holds a key end it, as GitLab and Slack let a token end itself: the key in the body is its own authorization. It only ever takes access away, answers the same 202 for every well-formed key (no oracle), refuses a malformed one by checksum before any read, and has its own method throttle.',
    githubSecretScanning:
      "POST /secret-scanning/github is GitHub's secret scanning partner endpoint, which GitHub calls without AWS credentials: the handler verifies GitHub's ECDSA signature of each payload before it reads anything, and only ever revokes keys.",
  };
  const reason = reasons[route.handler];
  if (!reason) throw new Error(`${route.method} ${route.path} is open to anyone, with no reason given why`);
  Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
}

/** The console's page and assets are public by design; each acknowledgement says why. */
export function acknowledgePublicConsoleMethod(method: Method): void {
  Validations.of(method).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      'The console page and its script are public, like any sign-in page: they hold no secret and no data. Every key operation goes through the console API, behind the JWT authorizer.',
  });
}

/** The Cognito user pool made for the console, when the operator brings no identity provider. */
export function acknowledgeConsoleUserPoolFindings(userPool: UserPool): void {
  Validations.of(userPool).acknowledge({
    id: 'AwsSolutions-COG8',
    reason:
      'The Plus feature plan bills per monthly active user; the pool takes no self sign-up, requires an authenticator app as a second factor and 12-character passwords. Operators who want threat protection set the pool to FeaturePlan.PLUS.',
  });
}

/** With X-Ray tracing on, Lambda adds the statement its tracing needs to the function's role. */
export function acknowledgeTracingPermissions(role: IRole): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'xray:PutTraceSegments and xray:PutTelemetryRecords, which Lambda adds for active tracing, take no resource ARN: X-Ray authorizes them only on "*".',
  });
}

/** A queue that is itself where failures go: an event source mapping's on-failure destination, which cdk-nag does not see as one. */
export function acknowledgeOnFailureQueue(queue: Queue): void {
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      "It is the dead-letter queue: the on-failure destination of the audit delivery's stream event sources, alarmed on. cdk-nag recognises only a queue's redrive policy as making a queue one.",
  });
}

/** Lambda's stream poller lists the streams with the function's role; that call authorizes on no resource. */
export function acknowledgeListStreams(role: IRole): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'dynamodb:ListStreams, which Lambda calls for a function mapped to a DynamoDB stream, takes no resource ARN: IAM authorizes it only on "*". It lists stream ARNs, and reads nothing of a stream.',
  });
}
