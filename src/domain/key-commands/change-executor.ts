import { type KeyRecord, ttlFor } from '../api-key';
import type { AuthorizerCacheInvalidation } from '../authorizer-cache-invalidation';
import { ConflictError, KeyNotFoundError, NoRoomForRecordError, StoreConflictError, StoreUnavailableError } from '../errors';
import {
  type ExpiryWarnings,
  expiryWarningOf,
  needsWarning,
  WARNING_SCHEDULING_HORIZON_MS,
  warningDueAt,
} from '../expiry-warnings';
import { generateKey, hashKey, hintFor } from '../key-format';
import type { KeyStore } from '../key-store';
import type { ChangePlan, KeyWrite, PlanOutcome } from './change-plan';
import { takesAccessAway, withUpdate } from './key-state';

/** A fresh 32-character random part colliding is astronomically unlikely; draw again a little, then fail. */
const MAX_ISSUE_ATTEMPTS = 3;
/** How long a rotation's replacement may stay pending before DynamoDB's TTL removes it, if the rotation died. */
const PENDING_REPLACEMENT_TTL_SECONDS = 24 * 60 * 60;

/** What delivers the records waiting in a key when it has no room for another: AuditDelivery. */
export interface WaitingRecordsDelivery {
  /** Delivers the records waiting in the key, as it is now; false when they could not all be. */
  deliverWaiting(key: KeyRecord): Promise<boolean>;
}

export interface ChangeExecutorPorts {
  store: KeyStore;
  invalidation: AuthorizerCacheInvalidation;
  /** Without it, a change that finds no room for its record is refused (ConcurrentChangeError). */
  delivery?: WaitingRecordsDelivery;
  /** Without it, no key is warned of its expiry: for a service whose commands set no expiry. */
  expiryWarnings?: ExpiryWarnings;
  keyPrefix: string;
  now: () => Date;
}

type Invalidation = () => Promise<void>;

/**
 * Carries out change plans. Writes run one after another; a plan that fails
 * part-way is undone in reverse, as far as it can be. The authorizer caches are
 * kept honest here, and only here (the rules are in cache-flush.ts and below): a
 * write that takes access away flushes every protected stage now, and every moment
 * a key will stop working gets a flush scheduled for it. What does not depend on
 * a write's outcome runs alongside the plan's last write, so an answer waits for
 * as few calls in a row as the plan allows. Expiry warnings are kept here too
 * (expiry-warnings.ts): a write that leaves an active key with a new expiry
 * carries the key's warning, if it is due, or has it scheduled.
 */
export class ChangeExecutor {
  constructor(private readonly ports: ChangeExecutorPorts) {}

  /**
   * Carries out a plan decided at `decidedAt`: the moments the plan sets are judged
   * against it (a retirement at the moment of the decision stops the key now, and
   * still gets its flush), not against the time the writes happen to take.
   */
  async execute(plan: ChangePlan, decidedAt: Date): Promise<PlanOutcome> {
    const invalidations = new Invalidations(this.ports.invalidation, decidedAt);
    const { writes, scheduled } = this.withWarnings(plan.writes, decidedAt);
    const outcome: PlanOutcome = {};
    // A scheduled warning that is not due yet, scheduled again: nothing to write.
    if (writes.length === 0) await Promise.all(scheduled.map((schedule) => schedule()));
    const landed: KeyWrite[] = [];
    let alongside: Promise<void>[] = [];
    for (const [index, write] of writes.entries()) {
      if (index === writes.length - 1) {
        // A flush at an issued key's expiry, or a warning scheduled, harms nothing if the key is never written:
        // it need not wait (a scheduled warning finds no such key, and writes nothing).
        alongside = [
          ...landed.flatMap((earlier) => invalidations.after(earlier, outcome)),
          ...writes.flatMap((each) => (each.kind === 'issue' ? invalidations.flushAt(each.key.keyId, each.key.expiresAt) : [])),
          ...scheduled,
        ].map((invalidate) => invalidate());
      }
      try {
        await this.perform(write, outcome);
      } catch (error) {
        await Promise.allSettled(alongside);
        await this.afterFailure(write, error, { landed, outcome, invalidations, invalidatedLanded: alongside.length > 0 });
        throw error;
      }
      landed.push(write);
    }
    const last = landed[landed.length - 1];
    const after = last ? invalidations.after(last, outcome).map((invalidate) => invalidate()) : [];
    await Promise.all([...alongside, ...after]);
    return outcome;
  }

  /**
   * The plan's writes with the expiry warnings they leave due: an issue or an
   * update that leaves an active key with an expiry it set (or a key with an
   * expiry enabled again) and not warned of it, and a scheduled warning's, carry
   * the warning when it is due within the scheduling horizon; a later one is
   * scheduled, alongside the last write (a scheduled warning's own write is then
   * not made). Without expiry warnings, none is written or scheduled.
   */
  private withWarnings(writes: readonly KeyWrite[], decidedAt: Date): { writes: KeyWrite[]; scheduled: Invalidation[] } {
    const warnings = this.ports.expiryWarnings;
    const scheduled: Invalidation[] = [];
    const warned = writes.flatMap((write): KeyWrite[] => {
      const left = warnedKeyOf(write, decidedAt);
      // A scheduled warning's write is nothing but its warning.
      const withoutWarning = write.kind === 'warnOfExpiry' ? [] : [write];
      if (!left) return [write];
      if (!warnings) return withoutWarning;
      const { key, expiresAt } = left;
      const dueAt = warningDueAt(expiresAt, warnings.windowSeconds);
      if (dueAt > decidedAt.getTime() + WARNING_SCHEDULING_HORIZON_MS) {
        scheduled.push(() => warnings.schedule.warnAt(key, expiresAt, new Date(dueAt).toISOString()));
        return withoutWarning;
      }
      return [{ ...write, warning: expiryWarningOf(key, expiresAt, decidedAt) } as KeyWrite];
    });
    return { writes: warned, scheduled };
  }

  private async perform(write: KeyWrite, outcome: PlanOutcome): Promise<void> {
    const { store } = this.ports;
    switch (write.kind) {
      case 'issue':
        outcome.issued = await this.issue(write);
        return;
      case 'update': {
        const change = await this.withRoom(write.key, () =>
          store.update(write.key, write.update, write.record, write.guard, write.warning),
        );
        if (!change) throw new KeyNotFoundError();
        outcome.change = change;
        return;
      }
      case 'revoke': {
        // Revoked meanwhile by another request, it is as asked: that request recorded it, and flushed.
        const change = await this.withRoom(write.key, () => store.revoke(write.key, write.revocation, write.record));
        if (!change) throw new KeyNotFoundError();
        outcome.change = change;
        return;
      }
      case 'warnOfExpiry': {
        const { warning } = write;
        if (!warning) throw new Error('A warning is written only once it is due');
        await this.withRoom(write.key, () => store.warnOfExpiry(write.key, warning));
        return;
      }
      case 'retire': {
        const retired = await store.retire(write.key, { rotation: write.rotation, expiresAt: write.expiresAt }, write.condition);
        if (retired === 'gone') throw new KeyNotFoundError();
        if (retired === 'changed') throw new ConflictError('The key was rotated or changed meanwhile; read it again and retry.');
        return;
      }
      case 'activate':
        if (!outcome.issued) throw new Error('A plan activates only the key it issued');
        await store.activate(outcome.issued.record);
        return;
      case 'markDeleted':
        // `gone`: another delete, or this one's own first attempt whose answer was lost. Either way it is gone, as asked.
        await this.withRoom(write.key, () => store.markDeleted(write.key, write.record));
        return;
      default:
        return unknownWrite(write);
    }
  }

  /**
   * A write that adds a record to a key, written once there is room for it: when
   * as many records as a key may hold wait in it (their delivery is behind the
   * key's changes, or stopped), this change delivers them itself, then writes. So
   * a change waits for delivery only when delivery is behind, and is refused (409)
   * only when the records cannot be delivered.
   */
  private async withRoom<T>(key: KeyRecord, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const { delivery } = this.ports;
      if (!(error instanceof NoRoomForRecordError) || !delivery || !(await delivery.deliverWaiting(key))) throw error;
      return write();
    }
  }

  /** The new item, with its secret drawn here: the secret is returned once and never stored. */
  private async issue(write: Extract<KeyWrite, { kind: 'issue' }>): Promise<{ record: KeyRecord; secret: string }> {
    for (let attempt = 1; ; attempt++) {
      const secret = generateKey(this.ports.keyPrefix);
      const record: KeyRecord = {
        ...write.key,
        keyHash: hashKey(secret),
        hint: hintFor(secret),
        auditRecords: write.warning ? [write.record, write.warning.record] : [write.record],
        auditPending: write.record.at,
      };
      if (write.warning) record.expiryWarnedFor = write.warning.expiresAt;
      if (write.key.expiresAt !== undefined) record.ttl = ttlFor(write.key.expiresAt);
      if (write.pending) {
        record.pending = true;
        record.ttl = Math.ceil(this.ports.now().getTime() / 1000) + PENDING_REPLACEMENT_TTL_SECONDS;
      }
      if (write.request !== undefined) record.idempotentRequest = write.request;
      try {
        await this.ports.store.create(record);
        return { record, secret };
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= MAX_ISSUE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * A write that failed may have landed all the same (its answers lost): one that
   * would take access away flushes regardless. Then what landed is undone, in
   * reverse, the failed write included, best effort.
   */
  private async afterFailure(
    failed: KeyWrite,
    error: unknown,
    state: { landed: KeyWrite[]; outcome: PlanOutcome; invalidations: Invalidations; invalidatedLanded: boolean },
  ): Promise<void> {
    const { landed, outcome, invalidations } = state;
    if (error instanceof StoreUnavailableError && this.takesAccessAwayIfLanded(failed)) await invalidations.flushNow();
    for (const write of [...landed, failed].reverse()) {
      const invalidated = state.invalidatedLanded && landed.includes(write);
      await this.undo(write, outcome, invalidated ? invalidations : undefined).catch(() => undefined);
    }
  }

  private takesAccessAwayIfLanded(write: KeyWrite): boolean {
    switch (write.kind) {
      case 'update':
        return takesAccessAway(write.key, withUpdate(write.key, write.update));
      case 'markDeleted':
      case 'revoke':
        return true;
      // A rotation that fails is undone: its retirement is restored.
      case 'issue':
      case 'retire':
      case 'activate':
      case 'warnOfExpiry':
        return false;
      default:
        return unknownWrite(write);
    }
  }

  /** Undoes a write, and with `invalidations`, what its invalidations changed that the undo makes wrong. */
  private async undo(write: KeyWrite, outcome: PlanOutcome, invalidations: Invalidations | undefined): Promise<void> {
    switch (write.kind) {
      case 'issue':
        // Nobody has seen it: withdrawn, with the record it held.
        if (outcome.issued) await this.ports.store.delete(outcome.issued.record);
        return;
      case 'retire': {
        await this.ports.store.restore(write.key, write.rotation);
        // Its flush was moved to the retirement: back to the key's own expiry, which still needs one.
        const own = write.rotation.previousExpiresAt ?? undefined;
        if (invalidations) await Promise.all(invalidations.flushAt(write.key.keyId, own).map((invalidate) => invalidate()));
        return;
      }
      // A plan's only write, or its last: nothing after it to undo it for.
      case 'update':
      case 'activate':
      case 'markDeleted':
      case 'revoke':
      case 'warnOfExpiry':
        return;
      default:
        return unknownWrite(write);
    }
  }
}

/** The authorizer cache invalidations of a plan decided at one moment. */
class Invalidations {
  constructor(
    private readonly invalidation: AuthorizerCacheInvalidation,
    private readonly decidedAt: Date,
  ) {}

  readonly flushNow = (): Promise<void> => this.invalidation.flushNow();

  /** A flush at the moment a key stops working; none for a moment already past, when the key is refused already. */
  flushAt(keyId: string, at: string | undefined): Invalidation[] {
    if (at === undefined || Date.parse(at) < this.decidedAt.getTime()) return [];
    return [() => this.invalidation.flushAt(keyId, at)];
  }

  /**
   * What a landed write does to the authorizer caches. A key the plan issues is
   * not here: its expiry's flush runs alongside the plan's last write.
   */
  after(write: KeyWrite, outcome: PlanOutcome): Invalidation[] {
    switch (write.kind) {
      case 'issue':
      case 'activate':
        return [];
      case 'update': {
        const { before, after } = outcome.change as NonNullable<PlanOutcome['change']>;
        // Judged against the state the write replaced, and the one read before it: when the SDK sent the
        // write again after its first attempt landed, the state it replaced is this change's own.
        const narrows = takesAccessAway(before, after) || takesAccessAway(write.key, after);
        const expiresAt = typeof write.update.expiresAt === 'string' ? write.update.expiresAt : undefined;
        return [...(narrows ? [this.flushNow] : []), ...this.flushAt(write.key.keyId, expiresAt)];
      }
      case 'retire':
        // With no grace period the old key stops now: the flush now catches an authorization that read it just before.
        return [
          ...(Date.parse(write.expiresAt) <= this.decidedAt.getTime() ? [this.flushNow] : []),
          ...this.flushAt(write.key.keyId, write.expiresAt),
        ];
      case 'markDeleted':
        return [this.flushNow];
      case 'revoke': {
        // None when it found the key revoked already (the state replaced is the state left): that revocation flushed.
        const { before, after } = outcome.change as NonNullable<PlanOutcome['change']>;
        return takesAccessAway(before, after) ? [this.flushNow] : [];
      }
      case 'warnOfExpiry':
        return [];
      default:
        return unknownWrite(write);
    }
  }
}

/**
 * The key a write leaves to be warned of its expiry, and that expiry: a scheduled
 * warning's key, a key it issues enabled with an expiry, or one it sets an expiry of (a new one, or the
 * same again) or enables again with one, and leaves active and not warned of it.
 * Setting the same expiry again is how a key whose expiry was set before warnings
 * existed gets its warning. A key whose expiry has come is refused already: it is
 * warned of nothing.
 */
function warnedKeyOf(
  write: KeyWrite,
  decidedAt: Date,
): { key: Pick<KeyRecord, 'tenantId' | 'keyId' | 'name'>; expiresAt: string } | undefined {
  if (write.kind === 'issue') {
    const { expiresAt } = write.key;
    return expiresAt !== undefined && needsWarning(write.key, expiresAt, decidedAt) ? { key: write.key, expiresAt } : undefined;
  }
  // Decided on the key as read: the store checks it again as it writes.
  if (write.kind === 'warnOfExpiry') return { key: write.key, expiresAt: write.expiresAt };
  if (write.kind !== 'update') return undefined;
  const after = withUpdate(write.key, write.update);
  const { expiresAt } = after;
  const newlyExpiring = write.update.expiresAt !== undefined || (after.enabled && !write.key.enabled);
  return expiresAt !== undefined && newlyExpiring && needsWarning(after, expiresAt, decidedAt)
    ? { key: after, expiresAt }
    : undefined;
}

function unknownWrite(write: never): never {
  throw new Error(`Unknown write ${(write as KeyWrite).kind}`);
}
