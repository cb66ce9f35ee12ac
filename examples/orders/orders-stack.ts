import * as path from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ApiKeyService } from '../../lib/api-key-service';
import { MethodAccess } from '../../lib/method-access';
import { bundledFunction } from '../../lib/private/service-function';
import { ORDERS_METHODS } from './methods';

export interface OrdersStackProps extends StackProps {
  /** The service whose keys protect the API. */
  readonly service: ApiKeyService;
}

/**
 * The example of an operator's own API in its own stack: a RestApi named
 * `orders` whose methods need keys of the service, one scope per method.
 */
export class OrdersStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, props);
    const backend = bundledFunction(this, 'Backend', {
      entryFile: path.join(__dirname, 'backend.ts'),
      timeout: Duration.seconds(5),
      memorySize: 256,
      logRetention: RetentionDays.ONE_MONTH,
    });
    this.api = new RestApi(this, 'Orders', {
      restApiName: 'orders',
      description: 'Example API protected by the API key service.',
      // The account's API Gateway logging role is the service stack's.
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH }),
        ),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
      },
    });
    const keys = props.service.protectRestApi(this.api);
    const integration = new LambdaIntegration(backend, { allowTestInvoke: false });
    for (const { method, path: resourcePath, scope } of ORDERS_METHODS) {
      keys.addMethod(this.api.root.resourceForPath(resourcePath), method, integration, MethodAccess.scope(scope));
    }
    new CfnOutput(this, 'OrdersApiUrl', { description: 'Base URL of the example orders API.', value: this.api.url });

    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions-APIG2', reason: 'An example: its backend only echoes what the gateway passed it.' },
      { id: 'AwsSolutions-APIG3', reason: 'An example: WAF is the operator’s choice, as on the service’s own API.' },
      { id: 'AwsSolutions-COG4', reason: 'Methods are authorized by the API key service’s x-api-key authorizer.' },
    );
  }
}
