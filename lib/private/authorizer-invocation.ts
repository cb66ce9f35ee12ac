import { Stack } from 'aws-cdk-lib';
import { type IRole, Role } from 'aws-cdk-lib/aws-iam';
import { type IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { IApiKeyService } from '../i-api-key-service';

/** The service's authorizer function, referenced from `scope`, which may be in another stack of the app. */
export function authorizerHandler(scope: Construct, service: IApiKeyService): IFunction {
  return LambdaFunction.fromFunctionAttributes(scope, 'AuthorizerFunction', {
    functionArn: service.authorizerFunction.functionArn,
    sameEnvironment: true,
  });
}

/**
 * The role API Gateway assumes to invoke the authorizer, as an authorizer's
 * `AuthorizerCredentials` ("AWS::ApiGateway::Authorizer", CloudFormation User Guide:
 * a role's ARN, or null for the function's resource-based permissions). Imported,
 * so that CDK neither adds a statement to the role per API (its policy is the
 * service's, and already allows the invocation) nor a permission to the function.
 */
export function invokedWith(scope: Construct, service: IApiKeyService): IRole {
  return Role.fromRoleArn(scope, 'AuthorizerInvokeRole', service.authorizerInvokeRole.roleArn, { mutable: false });
}

/**
 * The URI API Gateway invokes a Lambda authorizer at. The API is in the function's
 * Region (assertSameEnvironment), so that is the stack's; the function's ARN goes
 * in whole, as a reference from another stack may only be.
 */
export function lambdaInvocationUri(scope: Construct, functionArn: string): string {
  const { partition, region } = Stack.of(scope);
  return `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}
