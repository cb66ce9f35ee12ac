import { Duration, Token } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  EventSourceMapping,
  FilterCriteria,
  type IFunction,
  type Function as LambdaFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../src/domain/audit';
import { ROUTELESS_GRANTS } from '../src/function-grants';
import { AUDIT_DELIVERY_ENTRY, AUDIT_SWEEPER_ENTRY, type AuditWorkerAccess } from '../src/routes';
import { WAITING_RECORDS_FILTER } from '../src/store/table-schema';
import type { KeyTable } from './key-table';
import { acknowledgeListStreams, acknowledgeOnFailureQueue } from './private/nag-acknowledgements';
import { serviceFunction } from './private/service-function';
import type { TenantTable } from './tenant-table';

/** The default `source` of the service's events. */
export const DEFAULT_EVENT_SOURCE = 'api-key-service';
/** How often the sweeper looks for records whose delivery was interrupted. */
const SWEEP_INTERVAL = Duration.minutes(5);
/** Up to 500 records, each a GetItem, a PutItem, a PutEvents and a settling write: well within. */
const SWEEPER_TIMEOUT = Duration.minutes(2);
/** A batch of up to 100 writes' records, each delivered with two calls at once and settled with two more. */
const DELIVERY_TIMEOUT = Duration.seconds(60);
/**
 * How often the event source retries a write whose records failed, splitting the
 * batch each time, before it sets the write aside in the dead-letter queue; the
 * records still wait in their items, for the sweeper.
 */
const DELIVERY_RETRY_ATTEMPTS = 10;
/** DynamoDB's TTL is in seconds and the tenant table keeps records that long; a day is the least that makes a trail. */
const MIN_RETENTION = Duration.days(1);

export interface AuditTrailProps {
  readonly keyTable: KeyTable;
  readonly tenantTable: TenantTable;
  /** @default Duration.days(400) */
  readonly retention?: Duration;
  /** @default - the account's default event bus */
  readonly eventBus?: IEventBus;
  /** @default 'api-key-service' */
  readonly eventSource?: string;
  readonly logRetention: RetentionDays;
  /** X-Ray active tracing on the sweeper. @default false */
  readonly tracing?: boolean;
}

/**
 * The audit trail's infrastructure: where records are published (an EventBridge
 * bus, as `source` {@link eventSource} and `detail-type` the action), how long the
 * tenant table keeps them, the delivery function the tables' streams feed with
 * every change's record once it is written (whatever becomes of the function that
 * wrote it), and the sweeper that delivers, every five minutes, the records whose
 * delivery failed (the rules are in src/domain/audit-delivery.ts).
 */
export class AuditTrail extends Construct {
  readonly eventBus: IEventBus;
  readonly eventSource: string;
  readonly retention: Duration;
  /** The Lambda the key table's and the tenant table's streams feed with the records to deliver. */
  readonly deliveryFunction: IFunction;
  /** Where the streams set aside writes whose records failed every retry (their records wait in their items). */
  readonly deliveryDeadLetterQueue: Queue;
  /** The scheduled Lambda that delivers what the delivery function could not. */
  readonly sweeperFunction: IFunction;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    this.retention = props.retention ?? Duration.days(DEFAULT_AUDIT_RETENTION_DAYS);
    this.eventSource = props.eventSource ?? DEFAULT_EVENT_SOURCE;
    validate(this.retention, this.eventSource);
    this.eventBus = props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    const delivery = serviceFunction(this, 'Delivery', {
      entry: AUDIT_DELIVERY_ENTRY,
      timeout: DELIVERY_TIMEOUT,
      memorySize: 256,
      logRetention: props.logRetention,
      tracing: props.tracing,
    });
    ROUTELESS_GRANTS.auditDelivery({
      deliverAudit: (access) => this.grantAuditWork(delivery, access, props),
      publishAudit: () => this.grantPublish(delivery),
    });
    this.deliveryDeadLetterQueue = new Queue(this, 'DeliveryDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeOnFailureQueue(this.deliveryDeadLetterQueue);
    const tables: [string, ITable][] = [
      ['KeyTableStream', props.keyTable.table],
      ['TenantTableStream', props.tenantTable.table],
    ];
    for (const [id, table] of tables) {
      new EventSourceMapping(this, id, {
        target: delivery,
        eventSourceArn: table.tableStreamArn as string,
        // From the oldest record the stream holds: a record written as the mapping is made is not missed.
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        filters: [FilterCriteria.filter(WAITING_RECORDS_FILTER)],
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: DELIVERY_RETRY_ATTEMPTS,
        onFailure: { bind: () => ({ destination: this.deliveryDeadLetterQueue.queueArn }) },
      });
    }
    // What Lambda's poller does with the function's role ("IAM policy to allow an AWS Lambda function to access
    // DynamoDB stream records", DynamoDB Developer Guide), and its on-failure destination: SendMessage alone.
    delivery.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: tables.map(([, table]) => table.tableStreamArn as string),
      }),
    );
    // ListStreams names no resource ("Actions, resources, and condition keys for Amazon DynamoDB", Service Authorization Reference).
    delivery.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    acknowledgeListStreams(delivery.role as IRole);
    delivery.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deliveryDeadLetterQueue.queueArn] }),
    );
    this.deliveryFunction = delivery;

    const sweeper = serviceFunction(this, 'Sweeper', {
      entry: AUDIT_SWEEPER_ENTRY,
      timeout: SWEEPER_TIMEOUT,
      memorySize: 256,
      logRetention: props.logRetention,
      tracing: props.tracing,
    });
    ROUTELESS_GRANTS.auditSweeper({
      deliverAudit: (access) => this.grantAuditWork(sweeper, access, props),
      publishAudit: () => this.grantPublish(sweeper),
    });
    // Two sweeps at once would publish the same stranded records twice: one at a time.
    new Rule(this, 'SweepSchedule', {
      description: 'Delivers audit records whose own delivery was interrupted.',
      schedule: Schedule.rate(SWEEP_INTERVAL),
      targets: [new LambdaTarget(sweeper, { retryAttempts: 0 })],
    });
    this.sweeperFunction = sweeper;
  }

  /** A delivering function's actions on both tables and their indexes, and the tables' names. */
  private grantAuditWork(fn: LambdaFunction, access: AuditWorkerAccess, tables: AuditTrailProps): Grant {
    return tables.keyTable.grantAuditWork(fn, access).combine(tables.tenantTable.grantAuditWork(fn, access));
  }

  /**
   * Lets a function publish audit records (PutEvents on the bus, only as the
   * service's own `source`) and tells it the bus, the source and the retention.
   */
  grantPublish(fn: LambdaFunction): Grant {
    fn.addEnvironment(ENV.eventBusName, this.eventBus.eventBusName);
    fn.addEnvironment(ENV.eventSource, this.eventSource);
    fn.addEnvironment(ENV.auditRetentionSeconds, String(this.retention.toSeconds()));
    return Grant.addToPrincipal({
      grantee: fn,
      actions: ['events:PutEvents'],
      resourceArns: [this.eventBus.eventBusArn],
      // events:source is multivalued (one value per entry): every entry must name the source, and one must.
      conditions: {
        'ForAllValues:StringEquals': { 'events:source': [this.eventSource] },
        Null: { 'events:source': 'false' },
      },
    });
  }
}

/** Checks what can be checked at synth time; a token is left for the deployment to resolve. */
function validate(retention: Duration, eventSource: string): void {
  const seconds = retention.toSeconds({ integral: false });
  if (!Token.isUnresolved(seconds) && (seconds < MIN_RETENTION.toSeconds() || !Number.isInteger(seconds))) {
    throw new Error(
      `ApiKeyService: auditRetention must be a whole number of seconds, at least 1 day, got ${retention.toHumanString()}`,
    );
  }
  // EventBridge: 1–256 characters; the `aws.` prefix is AWS's own.
  if (!Token.isUnresolved(eventSource) && (!/^[\x21-\x7e]{1,256}$/.test(eventSource) || eventSource.startsWith('aws.'))) {
    throw new Error(
      `ApiKeyService: eventSource "${eventSource}" is not valid: use 1-256 printable characters, not starting with "aws."`,
    );
  }
}
