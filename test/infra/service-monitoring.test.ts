/** The construct's operations: alarms, dashboard, dead-letter alarm, tracing and the authorizer's reserved concurrency. */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../bin/service-app';
import { ApiKeyService, type ApiKeyServiceProps } from '../../lib/api-key-service';
import { ApiKeyServiceStack } from '../../lib/api-key-service-stack';
import { ENV } from '../../src/config';
import { METRICS_SERVICE, UNLINKED_STAGES_METRIC } from '../../src/metrics';
import { HANDLERS } from '../../src/routes';
import { logicalId, SYNTH_TIMEOUT_MS, testApp } from './helpers';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function synth(props: ApiKeyServiceProps = {}) {
  const stack = new ApiKeyServiceStack(testApp(), 'Ops', { service: props });
  const template = Template.fromStack(stack);
  return { service: stack.service, template, resources: template.toJSON().Resources as Resources };
}

let defaults: ReturnType<typeof synth>;
beforeAll(() => {
  defaults = synth();
}, SYNTH_TIMEOUT_MS);

/** An alarm's properties, found by the construct the service exposes. */
const alarmOf = (synthesized: ReturnType<typeof synth>, alarm: { node: any }) =>
  synthesized.resources[logicalId(alarm as never)].Properties;

/** The metrics an alarm reads, whether it has one metric or a metric math expression. */
function metricsOf(properties: Record<string, any>): { namespace: string; name: string; dimensions: Record<string, unknown> }[] {
  const stats = properties.Metrics
    ? properties.Metrics.filter((query: any) => query.MetricStat).map((query: any) => query.MetricStat.Metric)
    : [{ Namespace: properties.Namespace, MetricName: properties.MetricName, Dimensions: properties.Dimensions }];
  return stats.map((metric: any) => ({
    namespace: metric.Namespace,
    name: metric.MetricName,
    dimensions: Object.fromEntries((metric.Dimensions ?? []).map((d: any) => [d.Name, d.Value])),
  }));
}

/** The statistic and period of an alarm on one metric, however CloudFormation renders it. */
function statOf(properties: Record<string, any>): { statistic: string; period: number } {
  const stat = properties.Metrics?.[0]?.MetricStat;
  return stat ? { statistic: stat.Stat, period: stat.Period } : { statistic: properties.Statistic, period: properties.Period };
}

const WORKERS = [...Object.keys(HANDLERS), 'flusher', 'expiryWarner', 'auditDelivery', 'usagePlanReconciler'].sort();
const ALL_FUNCTIONS = [...WORKERS, 'authorizer', 'consoleAuthorizer'].sort();

describe('alarms, on by default', () => {
  it('authorizer errors: the store-error outcome of its own metrics, since every refusal is a Lambda error', () => {
    const alarm = alarmOf(defaults, defaults.service.monitoring!.alarms.authorizerErrors);
    expect(metricsOf(alarm)).toEqual([
      { namespace: 'ApiKeyService', name: 'AuthorizerStoreError', dimensions: { service: 'api-key-service' } },
    ]);
    expect(statOf(alarm)).toEqual({ statistic: 'Sum', period: 300 });
    expect(alarm).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('function errors: one per handler, the flusher, the expiry warner, the audit delivery and the usage plan reconciler, none for the authorizers (refusals throw)', () => {
    const { functionErrors } = defaults.service.monitoring!.alarms;
    expect(Object.keys(functionErrors).sort()).toEqual(WORKERS);
    const workers: Record<string, unknown> = {
      ...defaults.service.handlers,
      flusher: defaults.service.cacheFlush.flusherFunction,
      expiryWarner: defaults.service.expiryWarnings.warnerFunction,
      auditDelivery: defaults.service.auditTrail.deliveryFunction,
      usagePlanReconciler: defaults.service.usagePlans.reconcilerFunction,
    };
    for (const [name, alarm] of Object.entries(functionErrors)) {
      const fn = workers[name];
      expect(metricsOf(alarmOf(defaults, alarm))).toEqual([
        { namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: { Ref: logicalId(fn as never) } } },
      ]);
    }
  });

  it('function throttles: one per function, authorizers included', () => {
    const { functionThrottles } = defaults.service.monitoring!.alarms;
    expect(Object.keys(functionThrottles).sort()).toEqual(ALL_FUNCTIONS);
    const authorizer = alarmOf(defaults, functionThrottles.authorizer);
    expect(metricsOf(authorizer)).toEqual([
      {
        namespace: 'AWS/Lambda',
        name: 'Throttles',
        dimensions: { FunctionName: { Ref: logicalId(defaults.service.authorizerFunction as never) } },
      },
    ]);
  });

  it("API 5xx and 4xx rate: the stage's metrics, the rate as metric math judged from 20 requests", () => {
    const { api5xx, api4xxRate } = defaults.service.monitoring!.alarms;
    const stage = { ApiName: 'Api', Stage: { Ref: logicalId(defaults.service.api.deploymentStage) } };
    expect(metricsOf(alarmOf(defaults, api5xx))).toEqual([{ namespace: 'AWS/ApiGateway', name: '5XXError', dimensions: stage }]);
    const rate = alarmOf(defaults, api4xxRate);
    expect(
      metricsOf(rate)
        .map((metric) => metric.name)
        .sort(),
    ).toEqual(['4XXError', 'Count']);
    expect(rate.Metrics.find((query: any) => query.Expression).Expression).toBe(
      'IF(requests >= 20, 100 * clientErrors / requests, 0)',
    );
    expect(rate.Threshold).toBe(25);
  });

  it('API throttles: 429s counted by a metric filter on the access log, REST APIs having no throttle metric', () => {
    const accessLogs = Object.entries(defaults.resources).find(
      ([id, resource]) => resource.Type === 'AWS::Logs::LogGroup' && id.includes('AccessLogs'),
    )![0];
    defaults.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: accessLogs },
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [
        { MetricNamespace: 'ApiKeyService', MetricName: 'ApiThrottled', MetricValue: '1', DefaultValue: 0 },
      ],
    });
    const alarm = alarmOf(defaults, defaults.service.monitoring!.alarms.apiThrottles);
    expect(metricsOf(alarm)).toEqual([{ namespace: 'ApiKeyService', name: 'ApiThrottled', dimensions: {} }]);
    expect(alarm.Threshold).toBe(10);
  });

  it('DynamoDB throttles: read and write throttle events of both tables, the byTenant index included', () => {
    const { tableThrottles } = defaults.service.monitoring!.alarms;
    expect(Object.keys(tableThrottles).sort()).toEqual(['keyTable', 'tenantTable']);
    const keyTable = { Ref: logicalId(defaults.service.table as never) };
    expect(metricsOf(alarmOf(defaults, tableThrottles.keyTable))).toEqual([
      { namespace: 'AWS/DynamoDB', name: 'ReadThrottleEvents', dimensions: { TableName: keyTable } },
      { namespace: 'AWS/DynamoDB', name: 'WriteThrottleEvents', dimensions: { TableName: keyTable } },
      {
        namespace: 'AWS/DynamoDB',
        name: 'ReadThrottleEvents',
        dimensions: { TableName: keyTable, GlobalSecondaryIndexName: 'byTenant' },
      },
      {
        namespace: 'AWS/DynamoDB',
        name: 'WriteThrottleEvents',
        dimensions: { TableName: keyTable, GlobalSecondaryIndexName: 'byTenant' },
      },
    ]);
    const tenantTable = { Ref: logicalId(defaults.service.tenantTable as never) };
    expect(metricsOf(alarmOf(defaults, tableThrottles.tenantTable)).map((metric) => metric.dimensions)).toEqual([
      { TableName: tenantTable },
      { TableName: tenantTable },
    ]);
  });

  it('the audit delivery: records older than the minute EventBridge gets them within, and writes set aside in its queue', () => {
    const { auditDeliveryLag, auditDeadLetters } = defaults.service.monitoring!.alarms;
    const lag = alarmOf(defaults, auditDeliveryLag);
    expect(metricsOf(lag)).toEqual([
      {
        namespace: 'AWS/Lambda',
        name: 'IteratorAge',
        dimensions: { FunctionName: { Ref: logicalId(defaults.service.auditTrail.deliveryFunction as never) } },
      },
    ]);
    expect(lag).toMatchObject({ Statistic: 'Maximum', Threshold: 60_000 });
    const queue = logicalId(defaults.service.auditTrail.deliveryDeadLetterQueue as never);
    const deadLetters = alarmOf(defaults, auditDeadLetters);
    expect(metricsOf(deadLetters)).toEqual([
      {
        namespace: 'AWS/SQS',
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] } },
      },
    ]);
    expect(deadLetters).toMatchObject({ Statistic: 'Maximum', Threshold: 1 });
  });

  it('the flush dead-letter queue: any message visible, the queue the flush queue and the schedules dead-letter to', () => {
    const queue = logicalId(defaults.service.cacheFlush.deadLetterQueue as never);
    const alarm = alarmOf(defaults, defaults.service.monitoring!.alarms.flushDeadLetters);
    expect(metricsOf(alarm)).toEqual([
      {
        namespace: 'AWS/SQS',
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] } },
      },
    ]);
    expect(alarm).toMatchObject({ Statistic: 'Maximum', Threshold: 1 });
    // The flush queue's redrive policy and the schedulers' DeadLetterConfig name this same queue.
    defaults.template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [queue, 'Arn'] }, maxReceiveCount: 10 },
    });
    const scheduling = Object.values(defaults.resources).filter(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' && resource.Properties.Environment?.Variables?.[ENV.flushDeadLetterQueueArn],
    );
    expect(scheduling.length).toBeGreaterThan(0);
    for (const fn of scheduling) {
      expect(fn.Properties.Environment.Variables[ENV.flushDeadLetterQueueArn]).toEqual({ 'Fn::GetAtt': [queue, 'Arn'] });
    }
  });

  it('stages missing from a usage plan: the most UnlinkedStages any reconciler run found in the period, above 0', () => {
    const alarm = alarmOf(defaults, defaults.service.monitoring!.alarms.unlinkedStages);
    expect(metricsOf(alarm)).toEqual([
      { namespace: 'ApiKeyService', name: UNLINKED_STAGES_METRIC, dimensions: { service: METRICS_SERVICE } },
    ]);
    expect(alarm).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    // The reconciler publishes it to the namespace the alarm reads.
    expect(
      defaults.resources[logicalId(defaults.service.usagePlans.reconcilerFunction as never)].Properties.Environment.Variables[
        ENV.metricsNamespace
      ],
    ).toBe('ApiKeyService');
  });

  it('never a key id or tenant id as a dimension: the service’s own metrics have `service` at most', () => {
    for (const resource of Object.values(defaults.resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
      for (const metric of metricsOf(resource.Properties).filter((m) => m.namespace === 'ApiKeyService')) {
        expect(Object.keys(metric.dimensions).every((name) => name === 'service')).toBe(true);
      }
    }
  });

  it('notify nobody unless given a topic', () => {
    for (const resource of Object.values(defaults.resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
      expect(resource.Properties.AlarmActions).toBeUndefined();
      expect(resource.Properties.OKActions).toBeUndefined();
    }
  });
});

describe('the dashboard', () => {
  it('shows outcomes, latency, API traffic, Lambda errors, throttles and duration, DynamoDB throttles and capacity, the DLQ', () => {
    const dashboards = Object.values(defaults.resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0].Properties.DashboardBody);
    for (const shown of [
      'AuthorizerAllowed',
      'AuthorizerUnknown',
      'AuthorizerMalformed',
      'AuthorizerDisabled',
      'AuthorizerExpired',
      'AuthorizerMissing',
      'AuthorizerStoreError',
      'AuthorizerLookupLatency',
      'VerifyInsufficientScope',
      'VerifyLookupLatency',
      '4XXError',
      '5XXError',
      'ApiThrottled',
      'Errors',
      'Throttles',
      'Duration',
      'ReadThrottleEvents',
      'ConsumedReadCapacityUnits',
      'ConsumedWriteCapacityUnits',
      'ApproximateNumberOfMessagesVisible',
      'alarm',
    ]) {
      expect(body).toContain(shown);
    }
  });
});

describe('tuning', () => {
  let tuned: ReturnType<typeof synth>;
  let topicId: string;
  beforeAll(() => {
    const stack = new Stack(testApp(), 'Tuned');
    const topic = new Topic(stack, 'Pager', { enforceSSL: true });
    const service = new ApiKeyService(stack, 'Service', {
      metricsNamespace: 'Acme/Keys',
      tracing: true,
      authorizerReservedConcurrency: 50,
      monitoring: {
        alarmTopic: topic,
        period: Duration.minutes(1),
        authorizerErrorsThreshold: 5,
        functionErrorsThreshold: 2,
        api5xxThreshold: 3,
        api4xxRatePercent: 40,
        apiThrottlesThreshold: 100,
        throttlesThreshold: 7,
        dashboardName: 'acme-keys',
      },
    });
    const template = Template.fromStack(stack);
    tuned = { service, template, resources: template.toJSON().Resources as Resources };
    topicId = logicalId(topic);
  }, SYNTH_TIMEOUT_MS);

  it('every alarm notifies the topic, in alarm and back to OK', () => {
    const alarms = Object.values(tuned.resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(ALL_FUNCTIONS.length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('thresholds, period, namespace and dashboard name follow the props', () => {
    const { alarms } = tuned.service.monitoring!;
    const authorizerErrors = alarmOf(tuned, alarms.authorizerErrors);
    expect(authorizerErrors.Threshold).toBe(5);
    expect(statOf(authorizerErrors).period).toBe(60);
    expect(metricsOf(authorizerErrors)[0].namespace).toBe('Acme/Keys');
    expect(alarmOf(tuned, alarms.functionErrors.createKey).Threshold).toBe(2);
    expect(alarmOf(tuned, alarms.api5xx).Threshold).toBe(3);
    expect(alarmOf(tuned, alarms.api4xxRate).Threshold).toBe(40);
    expect(alarmOf(tuned, alarms.apiThrottles).Threshold).toBe(100);
    expect(alarmOf(tuned, alarms.functionThrottles.authorizer).Threshold).toBe(7);
    expect(alarmOf(tuned, alarms.tableThrottles.keyTable).Threshold).toBe(7);
    tuned.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'acme-keys' });
    tuned.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.metricsNamespace]: 'Acme/Keys' }) },
    });
  });

  it('tracing: every function active and the stage traced; Lambda adds the X-Ray permissions', () => {
    const functions = Object.values(tuned.resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    tuned.template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    const xray = Object.values(tuned.resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        r.Properties.PolicyDocument.Statement.some(
          (statement: any) =>
            [statement.Action].flat().includes('xray:PutTraceSegments') &&
            [statement.Action].flat().includes('xray:PutTelemetryRecords') &&
            statement.Resource === '*',
        ),
    );
    expect(xray).toHaveLength(functions.length);
  });

  it('tracing is off by default', () => {
    for (const fn of Object.values(defaults.resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(fn.Properties.TracingConfig).toBeUndefined();
    }
    defaults.template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: Match.absent() });
    expect(JSON.stringify(defaults.resources)).not.toContain('xray:');
  });

  it('reserved concurrency on the authorizer alone, none by default', () => {
    const reserved = Object.values(tuned.resources).filter((r) => r.Properties?.ReservedConcurrentExecutions !== undefined);
    expect(reserved).toEqual([tuned.resources[logicalId(tuned.service.authorizerFunction as never)]]);
    expect(reserved[0].Properties.ReservedConcurrentExecutions).toBe(50);
    expect(JSON.stringify(defaults.resources)).not.toContain('ReservedConcurrentExecutions');
  });

  it('cdk-nag stays clean with tracing on: the X-Ray wildcard is acknowledged on each role', () => {
    const app = testApp({ context: { tracing: 'true', authorizerReservedConcurrency: '20' } });
    buildApp(app);
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  });
});

describe('monitoring: false', () => {
  it('makes no alarm, no dashboard and no metric filter; the functions still write their metrics', () => {
    const off = synth({ monitoring: false });
    expect(off.service.monitoring).toBeUndefined();
    off.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    off.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    off.template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    expect(off.resources[logicalId(off.service.authorizerFunction as never)].Properties.Environment.Variables).toMatchObject({
      [ENV.metricsNamespace]: 'ApiKeyService',
    });
  });

  it('the CDK app takes -c monitoring=false, -c tracing=true, -c metricsNamespace and -c authorizerReservedConcurrency', () => {
    const stack = buildApp(
      testApp({
        context: { monitoring: 'false', tracing: 'true', metricsNamespace: 'Staging', authorizerReservedConcurrency: '5' },
      }),
    ).service;
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 5,
      Environment: { Variables: Match.objectLike({ [ENV.metricsNamespace]: 'Staging' }) },
    });
  });
});

describe('validation', () => {
  it.each([
    [{ authorizerReservedConcurrency: 0 }, /authorizerReservedConcurrency must be a positive whole number, got 0/],
    [{ authorizerReservedConcurrency: 2.5 }, /authorizerReservedConcurrency must be a positive whole number/],
    [{ metricsNamespace: 'AWS/Lambda' }, /metricsNamespace "AWS\/Lambda" is not valid/],
    [{ metricsNamespace: 'keys!' }, /metricsNamespace "keys!" is not valid/],
    [{ monitoring: { api4xxRatePercent: 120 } }, /api4xxRatePercent is a percentage, at most 100/],
    [{ monitoring: { throttlesThreshold: 0 } }, /monitoring.throttlesThreshold must be a number above 0/],
  ] as [ApiKeyServiceProps, RegExp][])('refuses %j', (props, message) => {
    expect(() => new ApiKeyService(new Stack(testApp(), 'Invalid'), 'Service', props)).toThrow(message);
  });
});
