/**
 * How a revocation reaches every protected stage's authorizer cache, and stays
 * there. The rules, in one place:
 *
 * - A revoking change flushes every registered stage at once, before it answers.
 * - An authorizer run that read the key just before the change can still be
 *   cached after that flush, so a follow-up flush runs once any such run has
 *   surely ended (FOLLOW_UP_DELAY_SECONDS later). It also retries a flush that failed.
 * - Queued flushes (follow-ups, and the flushes scheduled for expiries) are
 *   coalesced: a batch flushes each stage once, however many requests it holds.
 * - A queued flush that fails is delivered again by the queue, which sets it
 *   aside (to alarm on) after a bounded number of attempts. Whatever happens, a
 *   stage's cached answers expire with its cache TTL.
 */

/** A stage whose authorizer cache holds answers computed from keys. */
export interface FlushTarget {
  /** `rest`: API Gateway REST API (FlushStageAuthorizersCache); `http`: HTTP API (ResetAuthorizersCache). */
  kind: 'rest' | 'http';
  apiId: string;
  stageName: string;
}

/** A flush waiting in the queue. */
export interface QueuedFlush {
  /** When the change (or the expiry) that asked for it happened. */
  requestedAt: string;
  /** A follow-up asks for no follow-up of its own. */
  followUp: boolean;
}

export interface CacheFlushPorts {
  /** Every stage to flush. */
  targets(): Promise<FlushTarget[]>;
  /** Flushes one stage's authorizer cache. */
  flush(target: FlushTarget): Promise<void>;
  /** Queues a flush to run after `delaySeconds`. */
  enqueue(flush: QueuedFlush, delaySeconds: number): Promise<void>;
}

/**
 * The authorizer's own time limit is 5 s, and API Gateway caches its answer as
 * soon as it returns: 6 s after a change, no run that read the key before it is
 * still in flight.
 */
export const FOLLOW_UP_DELAY_SECONDS = 6;

/** What could not be done, and why: a stage's flush, reading the list of stages, or queueing the follow-up. */
export interface FlushFailure {
  target: FlushTarget | 'registry' | 'queue';
  error: unknown;
}

export interface FlushOutcome {
  failures: FlushFailure[];
  /** Whether the follow-up could be queued. Without it, a stage that failed keeps stale answers for up to its TTL. */
  followUpQueued: boolean;
}

export interface QueuedBatchOutcome {
  /** The requests to deliver again later. */
  retry: string[];
  failures: FlushFailure[];
}

export class CacheFlusher {
  constructor(
    private readonly ports: CacheFlushPorts,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * After a revoking change: every stage now, and the follow-up, which also retries
   * what failed. The follow-up waits on nothing the flushes tell, so both go at once.
   */
  async flushNow(): Promise<FlushOutcome> {
    const requestedAt = this.now().toISOString();
    const [failures, queueFailure] = await Promise.all([
      this.flushAll(),
      this.ports.enqueue({ requestedAt, followUp: true }, FOLLOW_UP_DELAY_SECONDS).then(
        () => undefined,
        (error: unknown): FlushFailure => ({ target: 'queue', error }),
      ),
    ]);
    return queueFailure ? { failures: [...failures, queueFailure], followUpQueued: false } : { failures, followUpQueued: true };
  }

  /** A batch from the queue, by message id: each stage is flushed once for all of them. */
  async flushQueued(batch: ReadonlyMap<string, QueuedFlush>): Promise<QueuedBatchOutcome> {
    const failures = await this.flushAll();
    if (failures.length > 0) return { retry: [...batch.keys()], failures };
    // One follow-up covers every request of the batch that asked for one: they were all flushed just now.
    const firstAskers = [...batch.values()].filter((flush) => !flush.followUp);
    if (firstAskers.length > 0) {
      const requestedAt = firstAskers.map((flush) => flush.requestedAt).sort()[0];
      try {
        await this.ports.enqueue({ requestedAt, followUp: true }, FOLLOW_UP_DELAY_SECONDS);
      } catch (error) {
        // Without its follow-up the batch is not done: deliver it again.
        return { retry: [...batch.keys()], failures: [{ target: 'queue', error }] };
      }
    }
    return { retry: [], failures: [] };
  }

  private async flushAll(): Promise<FlushFailure[]> {
    let targets: FlushTarget[];
    try {
      targets = await this.ports.targets();
    } catch (error) {
      return [{ target: 'registry', error }];
    }
    const results = await Promise.allSettled(targets.map((target) => this.ports.flush(target)));
    return results.flatMap((result, index) =>
      result.status === 'rejected' ? [{ target: targets[index], error: result.reason as unknown }] : [],
    );
  }
}
