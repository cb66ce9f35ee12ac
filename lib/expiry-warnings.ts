import { Duration, Token } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { DEFAULT_EXPIRY_WARNING_SECONDS, EXPIRY_WARNING_BOUNDS } from '../src/domain/expiry-window';
import { ROUTELESS_GRANTS } from '../src/function-grants';
import { EXPIRY_WARNER_ENTRY } from '../src/routes';
import type { AuthorizerCacheFlush } from './authorizer-cache-flush';
import type { KeyTable } from './key-table';
import { consumeQueue } from './private/queue-consumer';
import { serviceFunction } from './private/service-function';

/** The warner reads a key and writes one record: a few DynamoDB calls, each bounded. */
const WARNER_TIMEOUT = Duration.seconds(10);

export interface ExpiryWarningsProps {
  /** The key table the warnings are written into. */
  readonly keyTable: KeyTable;
  /** The flush schedules' group and role, whose schedules the warnings' share, and its dead-letter queue. */
  readonly schedules: AuthorizerCacheFlush;
  /**
   * How long before its expiry an active key is warned: a whole number of seconds,
   * from a minute to 366 days.
   *
   * @default Duration.days(7)
   */
  readonly warning?: Duration;
  /** Retention of the warner's log group. */
  readonly logRetention: RetentionDays;
  /**
   * X-Ray active tracing of the warner.
   *
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * Keys' expiry warnings (src/domain/expiry-warnings.ts): one `key.expiring` record
 * and event per active key, `warning` before its expiry, once per expiry. A
 * change that leaves a key's warning due writes it itself; a later one is a
 * one-time EventBridge Scheduler schedule per key (in the flush schedules' group,
 * run by their role) that puts the warning on this construct's queue when it is
 * due. The warner consumes the queue and writes the warning into the key, if it
 * still applies (or schedules it again, for an expiry the key was given since
 * whose schedule an older change overwrote); the audit delivery publishes it. A warning that fails every
 * delivery lands in the flush dead-letter queue, which is alarmed on.
 */
export class ExpiryWarnings extends Construct {
  /** How long before its expiry a key is warned. */
  readonly warning: Duration;
  /** The warnings that are due, put there by their schedules. */
  readonly queue: IQueue;
  /** The queue's consumer. */
  readonly warnerFunction: IFunction;

  private readonly schedules: AuthorizerCacheFlush;

  constructor(scope: Construct, id: string, props: ExpiryWarningsProps) {
    super(scope, id);
    this.schedules = props.schedules;
    this.warning = props.warning ?? Duration.seconds(DEFAULT_EXPIRY_WARNING_SECONDS);
    validateWarning(this.warning);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance for an SQS event source: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * WARNER_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: props.schedules.deadLetterQueue, maxReceiveCount: 10 },
    });
    const warner = serviceFunction(this, 'Warner', {
      entry: EXPIRY_WARNER_ENTRY,
      timeout: WARNER_TIMEOUT,
      memorySize: 256,
      logRetention: props.logRetention,
      tracing: props.tracing,
    });
    ROUTELESS_GRANTS.expiryWarner({
      keyTable: (access) => props.keyTable.grantAccess(warner, access),
      scheduleExpiryWarnings: () => this.grantScheduleWarnings(warner),
    });
    consumeQueue(this, 'WarnerQueueSource', warner, this.queue, { batchSize: 10 });
    this.warnerFunction = warner;
    // The schedules put the warnings on this queue: SendMessage alone.
    Grant.addToPrincipal({
      grantee: props.schedules.scheduleRole,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.queue.queueArn],
    });
  }

  /**
   * Lets a function warn of the expiries its changes set: the window, and creating
   * and moving the warnings' schedules (`warn-{keyId}`, in the flush schedules'
   * group, passing their role), with the settings its code reads.
   */
  grantScheduleWarnings(fn: LambdaFunction): Grant {
    this.bindWindow(fn);
    fn.addEnvironment(ENV.expiryWarningQueueArn, this.queue.queueArn);
    // The flush schedules' own grant: the same group, role and dead-letter queue.
    return this.schedules.grantScheduleFlush(fn);
  }

  /** Tells a function the window, which needs nothing else: the console's page, which says when a key expires soon. */
  bindWindow(fn: LambdaFunction): void {
    fn.addEnvironment(ENV.expiryWarningSeconds, String(this.warning.toSeconds()));
  }
}

/** A whole number of seconds within EXPIRY_WARNING_BOUNDS; a token is left for the deployment. */
function validateWarning(warning: Duration): void {
  if (Token.isUnresolved(warning.toSeconds({ integral: false }))) return;
  const seconds = warning.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < EXPIRY_WARNING_BOUNDS.minSeconds || seconds > EXPIRY_WARNING_BOUNDS.maxSeconds) {
    throw new Error(
      `ApiKeyService: expiryWarning must be a whole number of seconds from a minute to 366 days, got ${warning.toHumanString()}`,
    );
  }
}
