/**
 * The CDK apps the infra suites synthesize beyond the repository's own (bin/):
 * each exercises options of the construct, and both its own suite and the
 * cfn-lint suite build it from here, so what is linted is what is asserted on.
 */
import { type App, Duration, Stack } from 'aws-cdk-lib';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { ApiKeyService } from '../../lib/api-key-service';
import { ApiKeyServiceStack } from '../../lib/api-key-service-stack';
import { MethodAccess } from '../../lib/method-access';
import type { ProtectedHttpApi } from '../../lib/protected-http-api';
import type { ProtectedRestApi } from '../../lib/protected-rest-api';
import { testApp } from './helpers';

export const ORDERS = [
  { method: 'GET', path: '/orders', scope: 'orders:read' },
  { method: 'POST', path: '/orders', scope: 'orders:write' },
  { method: 'GET', path: '/orders/{orderId}', scope: 'orders:read' },
  { method: 'GET', path: '/health' },
];

/** A RestApi with the ORDERS methods, protected by `service`. */
export function ordersApi(scope: Stack, id: string, service: ApiKeyService, ttl?: Duration): ProtectedRestApi {
  const api = new RestApi(scope, id, { cloudWatchRole: false });
  const keys = service.protectRestApi(api, ttl ? { cacheTtl: ttl } : {});
  for (const { method, path, scope: needed } of ORDERS) {
    const access = needed === undefined ? MethodAccess.anyValidKey() : MethodAccess.scope(needed);
    keys.addMethod(api.root.resourceForPath(path), method, new MockIntegration(), access);
  }
  return keys;
}

/** The service, a RestApi in another stack with a role granted to read keys, and a second RestApi in the service's own stack. */
export function protectedApisApp() {
  const app = testApp();
  const serviceStack = new ApiKeyServiceStack(app, 'Service');
  const { service } = serviceStack;
  const consumer = new Stack(app, 'Consumer');
  const consumerApi = ordersApi(consumer, 'Orders', service);
  const reader = new Role(consumer, 'Reader', { assumedBy: new AccountRootPrincipal() });
  service.grantReadKeys(reader);
  const sameStackApi = ordersApi(serviceStack, 'InternalOrders', service, Duration.seconds(30));
  return { app, serviceStack, service, consumer, consumerApi, reader, sameStackApi };
}

/** An HTTP API in its own stack with two routes, each with a scope; its authorizer caches for `cacheTtl`, if given. */
export function httpApiApp(cacheTtl?: Duration) {
  const app = testApp();
  const home = new ApiKeyServiceStack(app, 'Home');
  const stack = new Stack(app, 'Http');
  const api = new HttpApi(stack, 'Widgets');
  const keys: ProtectedHttpApi = home.service.protectHttpApi(api, cacheTtl ? { cacheTtl } : {});
  keys.addRoutes({
    path: '/widgets',
    methods: [HttpMethod.GET],
    integration: new HttpUrlIntegration('Backend', 'https://example.com'),
    access: MethodAccess.scope('widgets:read'),
  });
  keys.addRoutes({
    path: '/widgets/{id}',
    methods: [HttpMethod.DELETE],
    integration: new HttpUrlIntegration('Delete', 'https://example.com'),
    access: MethodAccess.scope('widgets:write'),
  });
  return { app, home, stack, api };
}

export const SCALE_SCOPES = Array.from({ length: 12 }, (_, i) => `area${i}:read`);

/** 300 protected methods: 80 on each of three RestApis in three stacks, and 60 routes of an HTTP API. */
export function manyMethodsApp() {
  const app = testApp();
  const home = new ApiKeyServiceStack(app, 'Home');
  const stacks = [new Stack(app, 'ScaleA'), new Stack(app, 'ScaleB'), home];
  const verbs = ['GET', 'POST', 'PUT', 'DELETE'];
  const declared: { api: RestApi; methods: { method: string; path: string; scope: string }[] }[] = [];
  for (const [index, stack] of stacks.entries()) {
    const api = new RestApi(stack, `Api${index}`, { cloudWatchRole: false });
    const keys = home.service.protectRestApi(api);
    const methods = Array.from({ length: 80 }, (_, m) => ({
      method: verbs[m % 4],
      path: `/area${Math.floor(m / 8)}/items${Math.floor((m % 8) / 4)}/{id}`,
      scope: SCALE_SCOPES[m % SCALE_SCOPES.length],
    }));
    for (const { method, path, scope } of methods) {
      keys.addMethod(api.root.resourceForPath(path), method, new MockIntegration(), MethodAccess.scope(scope));
    }
    declared.push({ api, methods });
  }
  const http = new HttpApi(stacks[0], 'Http');
  const httpKeys = home.service.protectHttpApi(http);
  for (let r = 0; r < 60; r++) {
    httpKeys.addRoutes({
      path: `/zone${r}/{id}`,
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration(`Backend${r}`, 'https://example.com'),
      access: MethodAccess.scope(SCALE_SCOPES[r % SCALE_SCOPES.length]),
    });
  }
  return { app, home, stacks, declared };
}

/** How many REST APIs manyApisApp protects, and how many of its stacks hold them. */
export const MANY_APIS = { apis: 64, stacks: 8 };

/**
 * MANY_APIS.apis RestApis spread over MANY_APIS.stacks stacks besides the
 * service's, each with the ORDERS methods and a cached authorizer: every one a
 * stage in the usage plans, a stage to flush, and an API invoking the authorizer.
 */
export function manyApisApp() {
  const app = testApp();
  const home = new ApiKeyServiceStack(app, 'Home');
  const stacks = Array.from({ length: MANY_APIS.stacks }, (_, index) => new Stack(app, `Apis${index}`));
  const apis = Array.from({ length: MANY_APIS.apis }, (_, index) =>
    ordersApi(stacks[index % stacks.length], `Orders${index}`, home.service),
  );
  return { app, home, stacks, apis };
}

/** The service with every option the construct takes set away from its default, in a stack of the operator's. */
export function everyOptionApp(): App {
  const app = testApp();
  const stack = new Stack(app, 'EveryOption');
  new ApiKeyService(stack, 'Keys', {
    keyPrefix: 'zk_live',
    authorizerCacheTtl: Duration.seconds(30),
    stageName: 'prod',
    plans: { default: 'basic', plans: { basic: { rateLimit: 2, burstLimit: 4 }, gold: { rateLimit: 50, burstLimit: 100 } } },
    throttlingRateLimit: 10,
    throttlingBurstLimit: 20,
    logRetention: RetentionDays.ONE_MONTH,
    apiGatewayCloudWatchRole: false,
    webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/keys/abc',
    console: {
      issuer: 'https://login.example.com/realms/acme',
      clientId: 'api-key-console',
      tenantClaim: 'org_id',
      grantableScopes: ['orders:read'],
      frameAncestors: ["'self'", 'https://app.example.com'],
    },
    metricsNamespace: 'Acme/Keys',
    monitoring: { alarmTopic: new Topic(stack, 'Alarms', { enforceSSL: true }), period: Duration.minutes(1) },
    tracing: true,
    authorizerReservedConcurrency: 20,
    auditRetention: Duration.days(30),
    eventBus: EventBus.fromEventBusName(stack, 'Bus', 'acme-audit'),
    eventSource: 'acme.keys',
  });
  return app;
}
