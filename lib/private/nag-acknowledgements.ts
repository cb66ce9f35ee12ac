import { Validations } from 'aws-cdk-lib';
import type { Method, RestApi } from 'aws-cdk-lib/aws-apigateway';

/** cdk-nag findings on the service's API that are decisions, not oversights; each names its rule and why. */
export function acknowledgeApiFindings(api: RestApi, hasWebAcl: boolean): void {
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG2',
    reason:
      'Bodies and parameters are validated by zod in the handlers, which answer 400/413/415 as problem+json with per-field errors; an API Gateway validator would answer differently.',
  });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-COG4',
    reason: 'No Cognito users here: admin routes use IAM (SigV4) and key routes use the x-api-key Lambda REQUEST authorizer.',
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
