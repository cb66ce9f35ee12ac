import { App, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { ApiKeyService } from '../../lib';

/** The key service inside your own stack. */
export class KeysStack extends Stack {
  readonly keys: ApiKeyService;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.keys = new ApiKeyService(this, 'Keys', {
      keyPrefix: 'zk_live',
      authorizerCacheTtl: Duration.minutes(1),
    });
  }
}

/** Your public API, in another stack, behind the same authorizer and table. */
export class OrdersStack extends Stack {
  constructor(scope: Construct, id: string, keys: ApiKeyService, props?: StackProps) {
    super(scope, id, props);
    const orders = new NodejsFunction(this, 'Orders', { entry: 'src/orders.ts', runtime: Runtime.NODEJS_24_X });
    const api = new RestApi(this, 'OrdersApi');
    api.root.addResource('orders').addMethod('GET', new LambdaIntegration(orders), {
      authorizer: keys.createAuthorizer(this, 'ApiKeyAuthorizer'),
    });
  }
}

const app = new App();
const { keys } = new KeysStack(app, 'Keys');
new OrdersStack(app, 'Orders', keys);
