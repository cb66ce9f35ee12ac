import { Duration, Token } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUTHORIZER_OUTCOMES, type MetricSource, VERIFY_OUTCOMES } from '../src/metrics';
import type { IApiKeyService } from './i-api-key-service';

/** Counted by a metric filter on the access log: API Gateway's REST metrics have no throttling metric of their own. */
const API_THROTTLED_METRIC = 'ApiThrottled';

/**
 * Below this many requests in a period the 4xx rate is not judged: one 404
 * out of two requests is no incident.
 */
const MIN_REQUESTS_FOR_4XX_RATE = 20;

/** EventBridge gets every audit record within a minute of its change (docs/audit.md). */
const AUDIT_DELIVERY_BOUND = Duration.seconds(60);

/** What an operator tunes: who is told, and when each alarm fires. */
export interface ServiceMonitoringOptions {
  /**
   * Where every alarm sends its notifications, when it goes into alarm and when it is back to OK.
   *
   * @default - no notifications: the alarms show in the console and on the dashboard
   */
  readonly alarmTopic?: ITopic;

  /**
   * The period every alarm judges; each alarms on one period that breaches.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * Verifications in a period on which the authorizer failed closed because the
   * key table could not be read (`AuthorizerStoreError`): clients got 503.
   *
   * @default 1
   */
  readonly authorizerErrorsThreshold?: number;

  /**
   * Errors (Lambda `Errors`: crashes and timeouts; handlers answer other failures
   * as problem+json) in a period of any one handler or of the flusher.
   *
   * @default 1
   */
  readonly functionErrorsThreshold?: number;

  /**
   * 5xx answers of the service's API in a period.
   *
   * @default 1
   */
  readonly api5xxThreshold?: number;

  /**
   * Percentage of the service's API answers in a period that are 4xx, judged
   * once the period has at least 20 requests. Refused keys are 401s, so a high
   * rate is a misbehaving client or someone guessing keys.
   *
   * @default 25
   */
  readonly api4xxRatePercent?: number;

  /**
   * 429 answers of the service's API in a period: the stage's throttling
   * (throttlingRateLimit, throttlingBurstLimit) turned clients away.
   *
   * @default 10
   */
  readonly apiThrottlesThreshold?: number;

  /**
   * Throttled invocations in a period of any one function (Lambda `Throttles`),
   * and throttled read or write events in a period of either table
   * (DynamoDB `ReadThrottleEvents` + `WriteThrottleEvents`, indexes included).
   *
   * @default 1
   */
  readonly throttlesThreshold?: number;

  /**
   * Name of the dashboard.
   *
   * @default - a name CloudFormation makes
   */
  readonly dashboardName?: string;
}

export interface ServiceMonitoringProps extends ServiceMonitoringOptions {
  /** The service whose verification metrics are watched; the 429s are counted into its namespace too. */
  readonly service: IApiKeyService;
  /** The service's API stage. */
  readonly stage: Stage;
  /** The stage's access log group, where the 429s are counted. */
  readonly accessLogs: ILogGroup;
  /** Functions whose Lambda `Errors` are failures, by name: the route handlers, the flusher, the expiry warner and the usage plan reconciler. */
  readonly workers: Readonly<Record<string, IFunction>>;
  /** Functions that refuse by throwing `Unauthorized`, so that each refusal counts as a Lambda error: the authorizers. */
  readonly authorizers: Readonly<Record<string, IFunction>>;
  /** The tables, by name, and the global secondary indexes of each. */
  readonly tables: Readonly<Record<string, { table: ITable; indexes: readonly string[] }>>;
  /** Where flushes and expiry warnings end up that failed every delivery, from their queues or from a schedule. */
  readonly deadLetterQueue: IQueue;
  /** The audit delivery function, and where its event sources set aside writes whose records failed every retry. */
  readonly auditDelivery: { readonly fn: IFunction; readonly deadLetterQueue: IQueue };
}

/** Every alarm of the service, each for one kind of trouble. */
export interface ServiceAlarms {
  /** The authorizer failed closed: the key table could not be read (`AuthorizerStoreError`). */
  readonly authorizerErrors: Alarm;
  /** Lambda `Errors` of each handler, by handler name, and of the flusher (`flusher`). */
  readonly functionErrors: Readonly<Record<string, Alarm>>;
  /** Lambda `Throttles` of each function: the workers (functionErrors') and the two authorizers. */
  readonly functionThrottles: Readonly<Record<string, Alarm>>;
  /** 5xx answers of the service's API stage. */
  readonly api5xx: Alarm;
  /** The share of 4xx answers of the service's API stage. */
  readonly api4xxRate: Alarm;
  /** 429 answers of the service's API stage, counted from its access log. */
  readonly apiThrottles: Alarm;
  /** DynamoDB throttle events of each table (`keyTable`, `tenantTable`), its indexes included. */
  readonly tableThrottles: Readonly<Record<string, Alarm>>;
  /** Messages waiting in the flush dead-letter queue: a revocation or an expiry that was never flushed. */
  readonly flushDeadLetters: Alarm;
  /** Audit records older than the 60 s within which EventBridge gets each: the delivery's stream iterator age. */
  readonly auditDeliveryLag: Alarm;
  /** Writes the audit delivery set aside after every retry: their records wait for the sweeper. */
  readonly auditDeadLetters: Alarm;
  /** The usage plan reconciler found protected stages missing from a usage plan (`UnlinkedStages` above 0). */
  readonly unlinkedStages: Alarm;
}

/**
 * The service's alarms and dashboard, on its own verification metrics (EMF,
 * written by the authorizer and POST /verify) and on what Lambda, API Gateway,
 * DynamoDB and SQS report. See docs/operations.md.
 */
export class ServiceMonitoring extends Construct {
  readonly alarms: ServiceAlarms;
  readonly dashboard: Dashboard;

  private readonly period: Duration;
  private readonly service: IApiKeyService;
  private readonly alarmTopic?: ITopic;

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    this.period = props.period ?? Duration.minutes(5);
    this.service = props.service;
    this.alarmTopic = props.alarmTopic;
    const thresholds = {
      authorizerErrorsThreshold: props.authorizerErrorsThreshold ?? 1,
      functionErrorsThreshold: props.functionErrorsThreshold ?? 1,
      api5xxThreshold: props.api5xxThreshold ?? 1,
      api4xxRatePercent: props.api4xxRatePercent ?? 25,
      apiThrottlesThreshold: props.apiThrottlesThreshold ?? 10,
      throttlesThreshold: props.throttlesThreshold ?? 1,
    };
    validateThresholds(thresholds);

    const throttled = new MetricFilter(this, 'ApiThrottledFilter', {
      logGroup: props.accessLogs,
      metricNamespace: this.service.metricsNamespace,
      metricName: API_THROTTLED_METRIC,
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricValue: '1',
      defaultValue: 0,
    }).metric({ statistic: 'Sum', period: this.period });

    const { stage } = props;
    const requests = stage.metricCount({ statistic: 'Sum', period: this.period });
    const clientErrors = stage.metricClientError({ statistic: 'Sum', period: this.period });
    const serverErrors = stage.metricServerError({ statistic: 'Sum', period: this.period });
    const clientErrorRate = new MathExpression({
      expression: `IF(requests >= ${MIN_REQUESTS_FOR_4XX_RATE}, 100 * clientErrors / requests, 0)`,
      usingMetrics: { requests, clientErrors },
      period: this.period,
      label: '4xx (% of requests)',
    });

    const allFunctions = { ...props.workers, ...props.authorizers };
    const tableThrottleEvents = Object.fromEntries(
      Object.entries(props.tables).map(([name, { table, indexes }]) => [name, throttleEvents(name, table, indexes, this.period)]),
    );

    this.alarms = {
      authorizerErrors: this.alarm('AuthorizerErrors', {
        metric: this.service.metricStoreError({ period: this.period, label: 'storeError' }),
        threshold: thresholds.authorizerErrorsThreshold,
        description: 'The authorizer could not read the key table and failed closed: clients got 503.',
      }),
      functionErrors: mapValues(props.workers, (fn, name) =>
        this.alarm(`${pascalCase(name)}Errors`, {
          metric: fn.metricErrors({ statistic: 'Sum', period: this.period }),
          threshold: thresholds.functionErrorsThreshold,
          description: `The ${name} function failed (crashed or timed out).`,
        }),
      ),
      functionThrottles: mapValues(allFunctions, (fn, name) =>
        this.alarm(`${pascalCase(name)}Throttles`, {
          metric: fn.metricThrottles({ statistic: 'Sum', period: this.period }),
          threshold: thresholds.throttlesThreshold,
          description: `Lambda throttled the ${name} function: the account's or its reserved concurrency ran out.`,
        }),
      ),
      api5xx: this.alarm('Api5xx', {
        metric: serverErrors,
        threshold: thresholds.api5xxThreshold,
        description: "The service's API answered 5xx.",
      }),
      api4xxRate: this.alarm('Api4xxRate', {
        metric: clientErrorRate,
        threshold: thresholds.api4xxRatePercent,
        description: `More than ${thresholds.api4xxRatePercent}% of the service's API answers were 4xx.`,
      }),
      apiThrottles: this.alarm('ApiThrottles', {
        metric: throttled,
        threshold: thresholds.apiThrottlesThreshold,
        description: "The service's API stage throttled clients (429).",
      }),
      tableThrottles: mapValues(tableThrottleEvents, (metric, name) =>
        this.alarm(`${pascalCase(name)}Throttles`, {
          metric,
          threshold: thresholds.throttlesThreshold,
          description: `DynamoDB throttled requests to the ${name}.`,
        }),
      ),
      unlinkedStages: this.alarm('UnlinkedStages', {
        metric: this.service.metricUnlinkedStages({ period: this.period }),
        threshold: 1,
        description:
          'Protected stages were missing from a usage plan: valid keys got 503 there until the reconciler put them back (within 5 minutes). See docs/operations.md.',
      }),
      flushDeadLetters: this.alarm('FlushDeadLetters', {
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: this.period }),
        threshold: 1,
        description:
          'An authorizer cache flush or an expiry warning failed every delivery: a revoked or expired key may work until the cache TTL passes, or a key was not warned of its expiry. See docs/operations.md.',
      }),
      auditDeliveryLag: this.alarm('AuditDeliveryLag', {
        metric: props.auditDelivery.fn.metric('IteratorAge', { statistic: 'Maximum', period: this.period }),
        threshold: AUDIT_DELIVERY_BOUND.toMilliseconds(),
        description: 'Audit records reached EventBridge later than a minute after their change. See docs/audit.md.',
      }),
      auditDeadLetters: this.alarm('AuditDeadLetters', {
        metric: props.auditDelivery.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: this.period,
        }),
        threshold: 1,
        description:
          'The audit delivery set aside a write after every retry: its records wait in their items for the sweeper. See docs/audit.md.',
      }),
    };

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: IMetric[], width = 8) => new GraphWidget({ title, left, width, height: 6 });
    const perFunction = (functions: Readonly<Record<string, IFunction>>, metricOf: (fn: IFunction) => Metric) =>
      Object.entries(functions).map(([name, fn]) => metricOf(fn).with({ label: name, period: this.period }));
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          "## API key service\nOutcomes are counted per verification, not per request: API Gateway caches the authorizer's answers. See docs/operations.md in the repository.",
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: allAlarms(this.alarms), width: 24, height: 4 }));
    this.dashboard.addWidgets(
      graph(
        'Authorizer outcomes',
        AUTHORIZER_OUTCOMES.map((outcome) => this.outcomeMetric('Authorizer', outcome)),
      ),
      graph('Key lookup latency (ms)', [
        ...(['p50', 'p99'] as const).map((statistic) => this.latencyMetric('Authorizer', statistic)),
        ...(['p50', 'p99'] as const).map((statistic) => this.latencyMetric('Verify', statistic)),
      ]),
      graph(
        'POST /verify outcomes',
        VERIFY_OUTCOMES.map((outcome) => this.outcomeMetric('Verify', outcome)),
      ),
    );
    this.dashboard.addWidgets(
      graph('API requests and errors', [
        requests.with({ label: 'requests' }),
        clientErrors.with({ label: '4xx' }),
        serverErrors.with({ label: '5xx' }),
        throttled.with({ label: '429' }),
      ]),
      graph('API 4xx rate (%)', [clientErrorRate]),
      graph('API latency (ms)', [
        stage.metricLatency({ statistic: 'p50', period: this.period, label: 'p50' }),
        stage.metricLatency({ statistic: 'p99', period: this.period, label: 'p99' }),
        stage.metricIntegrationLatency({ statistic: 'p99', period: this.period, label: 'integration p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors (authorizers: refusals included)',
        perFunction(allFunctions, (fn) => fn.metricErrors({ statistic: 'Sum' })),
      ),
      graph(
        'Lambda throttles',
        perFunction(allFunctions, (fn) => fn.metricThrottles({ statistic: 'Sum' })),
      ),
      graph(
        'Lambda duration p99 (ms)',
        perFunction(allFunctions, (fn) => fn.metricDuration({ statistic: 'p99' })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'DynamoDB throttle events',
        Object.entries(tableThrottleEvents).map(([name, metric]) => metric.with({ label: name })),
      ),
      graph(
        'DynamoDB consumed capacity',
        Object.entries(props.tables).flatMap(([name, { table }]) => [
          table.metricConsumedReadCapacityUnits({ statistic: 'Sum', period: this.period, label: `${name} read` }),
          table.metricConsumedWriteCapacityUnits({ statistic: 'Sum', period: this.period, label: `${name} write` }),
        ]),
      ),
      graph('Stages found missing from usage plans', [
        this.service.metricUnlinkedStages({ period: this.period, label: 'stages' }),
      ]),
      graph('Flush dead-letter queue (messages)', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: this.period,
          label: 'visible',
        }),
      ]),
    );
  }

  private outcomeMetric(verifier: MetricSource, outcome: (typeof VERIFY_OUTCOMES)[number]): Metric {
    return this.service.metricOutcome(outcome, { verifier, period: this.period, label: outcome });
  }

  private latencyMetric(verifier: MetricSource, statistic: 'p50' | 'p99'): Metric {
    return this.service.metricLookupLatency({
      verifier,
      statistic,
      period: this.period,
      label: `${verifier === 'Authorizer' ? 'authorizer' : 'POST /verify'} ${statistic}`,
    });
  }

  /** One period at or above the threshold; no data is no trouble. */
  private alarm(id: string, props: { metric: IMetric; threshold: number; description: string }): Alarm {
    const alarm = new Alarm(this, id, {
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: props.description,
    });
    if (this.alarmTopic) {
      const action = new SnsAction(this.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarm;
  }
}

/** Every alarm of the set, flat. */
function allAlarms(alarms: ServiceAlarms): Alarm[] {
  return Object.values(alarms).flatMap((entry: Alarm | Readonly<Record<string, Alarm>>) =>
    entry instanceof Alarm ? [entry] : Object.values(entry),
  );
}

/** Throttled read and write events of a table and of each of its indexes, summed; `name` keeps the ids apart on a shared graph. */
function throttleEvents(name: string, table: ITable, indexes: readonly string[], period: Duration): MathExpression {
  const usingMetrics: Record<string, IMetric> = {};
  for (const [position, index] of [undefined, ...indexes].entries()) {
    for (const kind of ['Read', 'Write']) {
      usingMetrics[`${name}${kind}${position}`] = new Metric({
        namespace: 'AWS/DynamoDB',
        metricName: `${kind}ThrottleEvents`,
        dimensionsMap:
          index === undefined ? { TableName: table.tableName } : { TableName: table.tableName, GlobalSecondaryIndexName: index },
        statistic: 'Sum',
        period,
      });
    }
  }
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    period,
    label: 'throttle events',
  });
}

function validateThresholds(thresholds: Record<string, number>): void {
  for (const [name, value] of Object.entries(thresholds)) {
    if (Token.isUnresolved(value)) continue;
    if (!(Number.isFinite(value) && value > 0)) {
      throw new Error(`ApiKeyService: monitoring.${name} must be a number above 0, got ${value}`);
    }
  }
  const rate = thresholds.api4xxRatePercent;
  if (!Token.isUnresolved(rate) && rate > 100) {
    throw new Error(`ApiKeyService: monitoring.api4xxRatePercent is a percentage, at most 100, got ${rate}`);
  }
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, map: (value: T, name: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name, map(value, name)]));
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
