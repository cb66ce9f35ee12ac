import { type App, Duration, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrdersStack } from '../examples/orders/orders-stack';
import type { ApiKeyServiceProps } from '../lib/api-key-service';
import { ApiKeyServiceStack } from '../lib/api-key-service-stack';

/** CDK context keys the app reads, e.g. `npx cdk deploy -c keyPrefix=zk_live`. */
const CONTEXT = {
  stackName: 'stackName',
  keyPrefix: 'keyPrefix',
  stageName: 'stageName',
  authorizerCacheTtlSeconds: 'authorizerCacheTtlSeconds',
  throttlingRateLimit: 'throttlingRateLimit',
  throttlingBurstLimit: 'throttlingBurstLimit',
  logRetentionDays: 'logRetentionDays',
  apiGatewayCloudWatchRole: 'apiGatewayCloudWatchRole',
  exampleOrders: 'exampleOrders',
  consoleIssuer: 'consoleIssuer',
  consoleClientId: 'consoleClientId',
  consoleTenantClaim: 'consoleTenantClaim',
  /** Space-separated. */
  consoleScopes: 'consoleScopes',
  /** Space-separated CSP sources. */
  consoleFrameAncestors: 'consoleFrameAncestors',
  metricsNamespace: 'metricsNamespace',
  /** `false`: no alarms and no dashboard. */
  monitoring: 'monitoring',
  tracing: 'tracing',
  authorizerReservedConcurrency: 'authorizerReservedConcurrency',
  expiryWarningSeconds: 'expiryWarningSeconds',
  publicRevocationRateLimit: 'publicRevocationRateLimit',
  publicRevocationBurstLimit: 'publicRevocationBurstLimit',
} as const;

const DEFAULT_STACK_NAME = 'ApiKeyService';

/** The service's options from CDK context; anything unset keeps the construct's default. */
function servicePropsFromContext(app: App): ApiKeyServiceProps {
  const ttlSeconds = numberContext(app, CONTEXT.authorizerCacheTtlSeconds);
  const warningSeconds = numberContext(app, CONTEXT.expiryWarningSeconds);
  const revocationRate = numberContext(app, CONTEXT.publicRevocationRateLimit);
  const revocationBurst = numberContext(app, CONTEXT.publicRevocationBurstLimit);
  if ((revocationRate === undefined) !== (revocationBurst === undefined)) {
    throw new Error(
      `Context ${CONTEXT.publicRevocationRateLimit} and ${CONTEXT.publicRevocationBurstLimit} go together: give both, or neither`,
    );
  }
  const retentionDays = numberContext(app, CONTEXT.logRetentionDays);
  if (retentionDays !== undefined && !(Object.values(RetentionDays) as unknown[]).includes(retentionDays)) {
    throw new Error(
      `Context ${CONTEXT.logRetentionDays} must be a retention CloudWatch Logs offers (e.g. 30, 90, 365), got ${retentionDays}`,
    );
  }
  return {
    keyPrefix: stringContext(app, CONTEXT.keyPrefix),
    stageName: stringContext(app, CONTEXT.stageName),
    authorizerCacheTtl: ttlSeconds === undefined ? undefined : Duration.seconds(ttlSeconds),
    throttlingRateLimit: numberContext(app, CONTEXT.throttlingRateLimit),
    throttlingBurstLimit: numberContext(app, CONTEXT.throttlingBurstLimit),
    logRetention: retentionDays as RetentionDays | undefined,
    apiGatewayCloudWatchRole: booleanContext(app, CONTEXT.apiGatewayCloudWatchRole),
    metricsNamespace: stringContext(app, CONTEXT.metricsNamespace),
    // Alarms and the dashboard stay on unless `-c monitoring=false`; their notifications need the construct's alarmTopic.
    monitoring: booleanContext(app, CONTEXT.monitoring) === false ? false : undefined,
    tracing: booleanContext(app, CONTEXT.tracing),
    authorizerReservedConcurrency: numberContext(app, CONTEXT.authorizerReservedConcurrency),
    expiryWarning: warningSeconds === undefined ? undefined : Duration.seconds(warningSeconds),
    publicRevocationThrottle:
      revocationRate === undefined || revocationBurst === undefined
        ? undefined
        : { rateLimit: revocationRate, burstLimit: revocationBurst },
    console: {
      issuer: stringContext(app, CONTEXT.consoleIssuer),
      clientId: stringContext(app, CONTEXT.consoleClientId),
      tenantClaim: stringContext(app, CONTEXT.consoleTenantClaim),
      grantableScopes: listContext(app, CONTEXT.consoleScopes),
      frameAncestors: listContext(app, CONTEXT.consoleFrameAncestors),
    },
  };
}

/** A space-separated list, as `-c name="a b"` gives it. */
function listContext(app: App, key: string): string[] | undefined {
  return stringContext(app, key)?.split(/\s+/).filter(Boolean);
}

export interface ServiceApp {
  service: ApiKeyServiceStack;
  /** The example API protected by the service, unless `-c exampleOrders=false`. */
  orders?: OrdersStack;
}

/**
 * The CDK app: the service stack and the example `orders` API in a stack of its
 * own, checked by cdk-nag's AwsSolutions pack. cdk-nag 3 is a CDK
 * policy-validation plugin (not an aspect): any finding of level error that is not
 * acknowledged with `Validations.of(construct).acknowledge()` fails `cdk synth`.
 */
export function buildApp(app: App): ServiceApp {
  const stackName = stringContext(app, CONTEXT.stackName) ?? DEFAULT_STACK_NAME;
  const service = new ApiKeyServiceStack(app, stackName, {
    description: 'Self-hosted API key service: key table, admin and self-service key routes, x-api-key authorizer.',
    service: servicePropsFromContext(app),
  });
  const orders =
    booleanContext(app, CONTEXT.exampleOrders) === false
      ? undefined
      : new OrdersStack(app, `${stackName}-ExampleOrders`, {
          description: 'Example API whose methods need keys of the API key service.',
          service: service.service,
        });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { service, orders };
}

function stringContext(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new Error(`Context ${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/** `-c name=value` arrives as a string, cdk.json may hold a number. */
function numberContext(app: App, key: string): number | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed))
    throw new Error(`Context ${key} must be a number, got ${JSON.stringify(value)}`);
  return parsed;
}

function booleanContext(app: App, key: string): boolean | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`Context ${key} must be true or false, got ${JSON.stringify(value)}`);
}
