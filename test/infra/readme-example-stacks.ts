// bin/shop.ts: the app, with the key service and your public API in stacks of their own.
import { App, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { ApiKeyService, MethodAccess } from '../../lib';

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

/** Your public API, in another stack: each method needs a key of the service, with a scope. */
export class OrdersStack extends Stack {
  constructor(scope: Construct, id: string, keys: ApiKeyService, props?: StackProps) {
    super(scope, id, props);
    const backend = new LambdaIntegration(
      new NodejsFunction(this, 'Orders', { entry: 'src/orders.ts', runtime: Runtime.NODEJS_24_X }),
    );
    const api = new RestApi(this, 'OrdersApi');
    const protectedApi = keys.protectRestApi(api);
    const orders = api.root.addResource('orders');
    protectedApi.addMethod(orders, 'GET', backend, MethodAccess.scope('orders:read'));
    protectedApi.addMethod(orders, 'POST', backend, MethodAccess.scope('orders:write'));
    protectedApi.addMethod(orders.addResource('{orderId}'), 'GET', backend, MethodAccess.scope('orders:read'));
    protectedApi.addMethod(api.root.addResource('health'), 'GET', backend, MethodAccess.anyValidKey());
  }
}

const app = new App();
const { keys } = new KeysStack(app, 'Keys');
new OrdersStack(app, 'Orders', keys);
