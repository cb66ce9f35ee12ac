import { Duration, Token } from 'aws-cdk-lib';
import { EventBus, type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../src/domain/audit';
import { ROUTELESS_GRANTS } from '../src/function-grants';
import { AUDIT_SWEEPER_ENTRY } from '../src/routes';
import type { KeyTable } from './key-table';
import { serviceFunction } from './private/service-function';
import type { TenantTable } from './tenant-table';

/** The default `source` of the service's events. */
export const DEFAULT_EVENT_SOURCE = 'api-key-service';
/** How often the sweeper looks for records whose delivery was interrupted. */
const SWEEP_INTERVAL = Duration.minutes(5);
/** Up to 500 records, each a GetItem, a PutItem, a PutEvents and a settling write: well within. */
const SWEEPER_TIMEOUT = Duration.minutes(2);
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
 * tenant table keeps them, and the sweeper that delivers, every five minutes, the
 * records whose own delivery was interrupted (the rules are in src/domain/audit.ts).
 */
export class AuditTrail extends Construct {
  readonly eventBus: IEventBus;
  readonly eventSource: string;
  readonly retention: Duration;
  /** The scheduled Lambda that finishes interrupted deliveries. */
  readonly sweeperFunction: IFunction;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    this.retention = props.retention ?? Duration.days(DEFAULT_AUDIT_RETENTION_DAYS);
    this.eventSource = props.eventSource ?? DEFAULT_EVENT_SOURCE;
    validate(this.retention, this.eventSource);
    this.eventBus = props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    const sweeper = serviceFunction(this, 'Sweeper', {
      entry: AUDIT_SWEEPER_ENTRY,
      timeout: SWEEPER_TIMEOUT,
      memorySize: 256,
      logRetention: props.logRetention,
      tracing: props.tracing,
    });
    ROUTELESS_GRANTS.auditSweeper({
      sweepKeys: (access) => props.keyTable.grantSweep(sweeper, access),
      tenantTable: (actions) => props.tenantTable.grantAccess(sweeper, actions),
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
