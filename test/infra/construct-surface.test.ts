/** The construct's surface in aws-cdk-lib's manner: an interface the protections take, grants that return iam.Grant, metric helpers. */
import { Duration, Stack } from 'aws-cdk-lib';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { type CfnFunction, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { ApiKeyService, type IApiKeyService, MethodAccess, ProtectedRestApi } from '../../lib';
import { ENV } from '../../src/config';
import { SYNTH_TIMEOUT_MS, testApp } from './helpers';

let stack: Stack;
let service: ApiKeyService;
beforeAll(() => {
  stack = new Stack(testApp(), 'Surface');
  service = new ApiKeyService(stack, 'Keys', { metricsNamespace: 'Acme/Keys' });
}, SYNTH_TIMEOUT_MS);

/** A function of the operator's, to grant things to. */
function operatorFunction(id: string): LambdaFunction {
  return new LambdaFunction(stack, id, {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({});'),
  });
}

/** What a function was told: its environment variables, unresolved. */
const environmentOf = (fn: LambdaFunction) =>
  (stack.resolve((fn.node.defaultChild as CfnFunction).environment) as { variables: Record<string, unknown> }).variables;

/** The actions a grant added to the grantee's policy. */
const actionsOf = (grant: Grant) => grant.principalStatements.flatMap((statement) => statement.actions).sort();

describe('metric helpers', () => {
  const described = (metric: Metric) => ({
    namespace: metric.namespace,
    name: metric.metricName,
    dimensions: metric.dimensions,
    statistic: metric.statistic,
    period: metric.period.toSeconds(),
  });
  const inNamespace = { namespace: 'Acme/Keys', dimensions: { service: 'api-key-service' }, statistic: 'Sum', period: 300 };

  it.each([
    ['metricAllowed', 'AuthorizerAllowed'],
    ['metricMissing', 'AuthorizerMissing'],
    ['metricMalformed', 'AuthorizerMalformed'],
    ['metricUnknown', 'AuthorizerUnknown'],
    ['metricDisabled', 'AuthorizerDisabled'],
    ['metricExpired', 'AuthorizerExpired'],
    ['metricStoreError', 'AuthorizerStoreError'],
  ] as const)('%s counts the authorizer outcome %s the functions write, summed over 5 minutes', (helper, name) => {
    expect(described(service[helper]())).toEqual({ ...inNamespace, name });
  });

  it("reads POST /verify's counts, and takes CloudWatch's options", () => {
    const metric = service.metricUnknown({ verifier: 'Verify', period: Duration.minutes(1), label: 'unknown' });
    expect(described(metric)).toEqual({ ...inNamespace, name: 'VerifyUnknown', period: 60 });
    expect(metric.label).toBe('unknown');
    expect(service.metricOutcome('insufficientScope', { verifier: 'Verify' }).metricName).toBe('VerifyInsufficientScope');
  });

  it('gives the lookup latency as an average unless told otherwise', () => {
    expect(described(service.metricLookupLatency())).toEqual({
      ...inNamespace,
      name: 'AuthorizerLookupLatency',
      statistic: 'Average',
    });
    expect(service.metricLookupLatency({ verifier: 'Verify', statistic: 'p99' })).toMatchObject({
      metricName: 'VerifyLookupLatency',
      statistic: 'p99',
    });
  });

  it("are what the service's own alarms read", () => {
    const storeErrors = service.monitoring?.alarms.authorizerErrors.metric as Metric;
    expect(storeErrors.metricName).toBe(service.metricStoreError().metricName);
    expect(storeErrors.namespace).toBe('Acme/Keys');
  });
});

describe('grants', () => {
  it("return the grant, and tell the function the settings that go with it: the audit trail's", () => {
    const fn = operatorFunction('Publisher');
    const grant = service.auditTrail.grantPublish(fn);
    expect(grant).toBeInstanceOf(Grant);
    expect(grant.success).toBe(true);
    expect(actionsOf(grant)).toEqual(['events:PutEvents']);
    expect(Object.keys(environmentOf(fn)).sort()).toEqual([ENV.auditRetentionSeconds, ENV.eventBusName, ENV.eventSource].sort());
  });

  it('the flush registry and queue', () => {
    const fn = operatorFunction('Flusher');
    const grant = service.cacheFlush.grantFlushNow(fn);
    expect(actionsOf(grant)).toEqual(['sqs:SendMessage', 'ssm:GetParametersByPath']);
    expect(Object.keys(environmentOf(fn)).sort()).toEqual([ENV.flushQueueUrl, ENV.flushTargetsPath].sort());
  });

  it("expiry warnings: the window, their queue, and the flush schedules' group, role and dead-letter queue, granted once", () => {
    const fn = operatorFunction('Warner');
    const grant = service.expiryWarnings.grantScheduleWarnings(fn);
    expect(actionsOf(grant)).toEqual(['scheduler:CreateSchedule', 'scheduler:UpdateSchedule']);
    expect(Object.keys(environmentOf(fn)).sort()).toEqual(
      [
        ENV.expiryWarningSeconds,
        ENV.expiryWarningQueueArn,
        ENV.flushScheduleGroup,
        ENV.flushScheduleRoleArn,
        ENV.flushQueueArn,
        ENV.flushDeadLetterQueueArn,
      ].sort(),
    );
    expect(environmentOf(fn)[ENV.expiryWarningSeconds]).toBe('604800');
    // The flush schedules' own grant, asked again by the same function, is the one it has.
    expect(service.cacheFlush.grantScheduleFlush(fn)).toBe(grant);
  });

  it("the usage plans' operations", () => {
    const fn = operatorFunction('Arranger');
    const grant = service.usagePlans.grantOperations(fn, ['arrangeKeys', 'readUsage']);
    expect(actionsOf(grant)).toEqual([
      'apigateway:DELETE',
      'apigateway:GET',
      'apigateway:GET',
      'apigateway:POST',
      'apigateway:POST',
    ]);
    expect(Object.keys(environmentOf(fn)).sort()).toEqual([ENV.usageKeyNamespace, ENV.usagePlans].sort());
  });

  it('the usage key namespace alone, which needs no IAM', () => {
    const fn = operatorFunction('Namer');
    expect(service.usagePlans.grantUsageIdentifier(fn).principalStatements).toEqual([]);
    expect(Object.keys(environmentOf(fn))).toEqual([ENV.usageKeyNamespace]);
  });
});

describe('the protections', () => {
  it('take the service by its interface', () => {
    const keys: IApiKeyService = service;
    const api = new RestApi(stack, 'Orders');
    const protection = new ProtectedRestApi(api, 'ByInterface', { service: keys, api, cacheTtl: Duration.seconds(0) });
    protection.addMethod(api.root.addResource('orders'), 'GET', new MockIntegration(), MethodAccess.scope('orders:read'));
    expect(protection.methods).toEqual([{ method: 'GET', path: '/orders', scope: 'orders:read' }]);
  });
});
