import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiKeyService, type ApiKeyServiceProps } from './api-key-service';

export interface ApiKeyServiceStackProps extends StackProps {
  /** Options of the service itself. @default - the construct's defaults */
  readonly service?: ApiKeyServiceProps;
}

/** The deployable service: the construct, plus the outputs an operator needs. */
export class ApiKeyServiceStack extends Stack {
  readonly service: ApiKeyService;

  constructor(scope: Construct, id: string, props: ApiKeyServiceStackProps = {}) {
    super(scope, id, props);
    this.service = new ApiKeyService(this, 'ApiKeyService', props.service);

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the API, stage included; admin routes need SigV4 (service execute-api).',
      value: this.service.api.url,
    });
    new CfnOutput(this, 'TableName', {
      description: 'The key table (retained when the stack is deleted).',
      value: this.service.table.tableName,
    });
    new CfnOutput(this, 'TenantTableName', {
      description: 'The tenant table: plans, idempotent requests, the audit trail (retained when the stack is deleted).',
      value: this.service.tenantTable.tableName,
    });
    new CfnOutput(this, 'UsageKeyNamespace', {
      description: "The start of the names of tenants' API Gateway API keys, made at run time: {namespace}/{tenantId}.",
      value: this.service.usagePlans.namespace,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      description: "The console: tenants' users sign in and manage their keys there.",
      value: this.service.consoleUrl,
    });
    const { userPool } = this.service.consoleSignIn;
    if (userPool) {
      new CfnOutput(this, 'ConsoleUserPoolId', {
        description: "The console's Cognito user pool: create its users there, each with the custom:tenant attribute.",
        value: userPool.userPoolId,
      });
    }
    new CfnOutput(this, 'AuthorizerFunctionArn', {
      description: 'The x-api-key authorizer Lambda, for RestApis deployed by other CDK apps in this account and Region.',
      value: this.service.authorizerFunction.functionArn,
    });
  }
}
