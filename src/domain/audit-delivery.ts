import type { KeyRecord } from './api-key';
import type { AuditEvents, AuditLog, AuditRecord } from './audit';
import type { IdempotencyRecords } from './idempotency';
import type { KeyStore } from './key-store';
import type { TenantRecord, TenantRecords } from './tenants';

/**
 * Delivering audit records: each into the trail (the tenant table's log) and out
 * as an event, then out of the item it waited in. One path, whoever takes a
 * record there: the delivery function, fed every write that leaves records
 * waiting (a DynamoDB stream on each table; a change feed in local mode), and the
 * sweeper, which takes what has waited longer than it should (SWEEP_MIN_AGE_MS)
 * because a delivery failed. Every step may be repeated: the log keeps one copy
 * of a record, an event may be published twice (with the same id), and an item
 * gives a record up only once both the log and the events have it.
 */

/** An item records wait in: a key's (a key change's records), or a tenant's (its plan changes'). */
export type Outbox = { kind: 'key'; item: KeyRecord } | { kind: 'tenant'; item: TenantRecord };

/**
 * How long a record waits before the sweeper takes it: longer than any request
 * runs (20 s) and than the delivery function takes a change's records, so it
 * takes only deliveries that failed, not ones under way (which would publish
 * their events twice).
 */
const SWEEP_MIN_AGE_MS = 60_000;

export interface AuditDeliveryOptions {
  log: AuditLog;
  events: AuditEvents;
  keys: Pick<KeyStore, 'settleAudit' | 'pendingAudits' | 'findById' | 'findByHash'>;
  tenants: Pick<TenantRecords, 'settleAudit' | 'pendingAudits'>;
  /** The idempotent requests a key's first delivery completes. */
  requests: Pick<IdempotencyRecords, 'complete'>;
  /** How long the log keeps a record, in seconds. */
  retentionSeconds: number;
  /** @default () => new Date() */
  now?: () => Date;
}

export interface SweepResult {
  delivered: number;
  /** Records of rotations that never took effect, taken out undelivered. */
  withdrawn: number;
  failed: number;
}

/** Records of an item to deliver, and those to take out undelivered. */
export interface Delivery {
  outbox: Outbox;
  deliver: readonly AuditRecord[];
  withdraw?: readonly AuditRecord[];
}

const waitingIn = (outbox: Outbox): readonly AuditRecord[] => outbox.item.auditRecords ?? [];

/** Whether records in this item are a change's that has taken effect: a pending replacement's wait for its rotation. */
const isLive = (outbox: Outbox) => outbox.kind === 'tenant' || !outbox.item.pending;

/**
 * The records a write made deliverable, from the item before and after it: those
 * it added, or every one it holds when it has just gone live (a rotation's
 * replacement, activated, with the rotation's record). None while it is pending.
 */
export function newlyDeliverable(before: Outbox | undefined, after: Outbox): readonly AuditRecord[] {
  if (!isLive(after)) return [];
  if (!before || !isLive(before)) return waitingIn(after);
  const known = new Set(waitingIn(before).map((record) => record.id));
  return waitingIn(after).filter((record) => !known.has(record.id));
}

const byTime = (a: AuditRecord, b: AuditRecord) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1);

export class AuditDelivery {
  private readonly now: () => Date;

  constructor(private readonly options: AuditDeliveryOptions) {
    this.now = options.now ?? (() => new Date());
    if (!Number.isInteger(options.retentionSeconds) || options.retentionSeconds <= 0) {
      throw new Error(`The audit retention must be a positive whole number of seconds, not ${options.retentionSeconds}`);
    }
  }

  /**
   * Delivers records, all of them in the order they were made whichever items they
   * wait in, then takes each item's delivered records out of it. Returns, for each
   * delivery, whether it is done; one that is not leaves its records waiting.
   */
  async deliver(deliveries: readonly Delivery[]): Promise<boolean[]> {
    const failed = new Set<number>();
    const queue = deliveries
      .flatMap((delivery, index) => delivery.deliver.map((record) => ({ record, index })))
      .sort((a, b) => byTime(a.record, b.record));
    // The log first, every record at once (it keeps them in time order): one it refused is not published, so a retry publishes it once.
    await Promise.all(
      queue.map(async ({ record, index }) => {
        try {
          await this.options.log.append(record, Math.ceil(Date.parse(record.at) / 1000) + this.options.retentionSeconds);
        } catch {
          failed.add(index);
        }
      }),
    );
    // Then the events, in the order the records were made; none of an item whose delivery failed, so its events keep their order.
    const publishing = queue.filter(({ index }) => !failed.has(index));
    if (publishing.length > 0) {
      const refused = await this.options.events
        .publish(publishing.map(({ record }) => record))
        .catch(() => new Set(publishing.map(({ record }) => record.id)));
      for (const { record, index } of publishing) if (refused.has(record.id)) failed.add(index);
    }
    return Promise.all(
      deliveries.map(async (delivery, index) => {
        if (failed.has(index)) return false;
        try {
          await this.settle(delivery);
          return true;
        } catch {
          return false;
        }
      }),
    );
  }

  /**
   * Delivers the records waiting in a live key, as it is now: what a change does
   * when it finds no room for its own record (its key's delivery is behind).
   * False when they could not all be delivered. A key deleted since has nothing
   * to make room in: the change, tried again, finds it gone.
   */
  async deliverWaiting(key: KeyRecord): Promise<boolean> {
    const now = await this.options.keys.findByHash(key.keyHash);
    if (now?.tenantId !== key.tenantId || now.keyId !== key.keyId || now.deleted) return true;
    const outbox: Outbox = { kind: 'key', item: now };
    const [done] = await this.deliver([{ outbox, deliver: waitingIn(outbox) }]);
    return done;
  }

  /**
   * Delivers every record that has waited longer than SWEEP_MIN_AGE_MS: the backstop
   * for deliveries that failed. A record that fails again waits for the next sweep.
   */
  async sweep(): Promise<SweepResult> {
    const before = new Date(this.now().getTime() - SWEEP_MIN_AGE_MS).toISOString();
    const [keys, tenants] = await Promise.all([
      this.options.keys.pendingAudits(before),
      this.options.tenants.pendingAudits(before),
    ]);
    const outboxes: Outbox[] = [
      ...keys.map((item): Outbox => ({ kind: 'key', item })),
      ...tenants.map((item): Outbox => ({ kind: 'tenant', item })),
    ];
    const deliveries = await Promise.all(outboxes.map((outbox) => this.sweepingDelivery(outbox)));
    const done = await this.deliver(deliveries);
    const result: SweepResult = { delivered: 0, withdrawn: 0, failed: 0 };
    deliveries.forEach((delivery, index) => {
      if (done[index]) {
        result.delivered += delivery.deliver.length;
        result.withdrawn += delivery.withdraw?.length ?? 0;
      } else result.failed += delivery.deliver.length;
    });
    return result;
  }

  /**
   * What the sweeper does with an item's records. A pending replacement's record is
   * its rotation's, which died before making it live: the old key's retirement took
   * effect if the old key is rotated to it, and is recorded then; otherwise the
   * rotation was undone or superseded, and its record is withdrawn.
   */
  private async sweepingDelivery(outbox: Outbox): Promise<Delivery> {
    const records = waitingIn(outbox);
    if (isLive(outbox)) return { outbox, deliver: records };
    const replacement = outbox.item as KeyRecord;
    const deliver: AuditRecord[] = [];
    const withdraw: AuditRecord[] = [];
    for (const record of records) {
      const old = record.keyId === null ? undefined : await this.options.keys.findById(record.tenantId, record.keyId);
      (old?.rotation?.to === replacement.keyId ? deliver : withdraw).push(record);
    }
    return { outbox, deliver, withdraw };
  }

  /** Takes delivered and withdrawn records out of their item; a key's first delivery completes the request that issued it. */
  private async settle({ outbox, deliver, withdraw = [] }: Delivery): Promise<void> {
    const ids = [...deliver, ...withdraw].map((record) => record.id);
    if (ids.length === 0) return;
    if (outbox.kind === 'tenant') return this.options.tenants.settleAudit(outbox.item.tenantId, ids);
    const { item } = outbox;
    const requestCompleted = item.idempotentRequest !== undefined && isLive(outbox);
    if (requestCompleted) await this.options.requests.complete(item.tenantId, item.idempotentRequest as string);
    await this.options.keys.settleAudit(item, ids, { requestCompleted });
  }
}
