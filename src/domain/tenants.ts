import { type AuditRecord, auditRecordOf } from './audit';
import type { Caller } from './caller';
import { UsagePlansUnavailableError, ValidationError } from './errors';
import { MAX_USAGE_DAYS, parseOrThrow, type SetPlanInput, tenantIdSchema, usageQuerySchema } from './validation';

/** A tenant as the API shows it: a tenant never configured has the default plan and no creation time. */
export interface Tenant {
  id: string;
  plan: string;
  createdAt: string | null;
}

/** What the tenant table keeps of a tenant. */
export interface TenantRecord {
  tenantId: string;
  createdAt: string;
  /** The plan an admin gave it; without one, it has the default. */
  plan?: string;
  /** Its API Gateway API key, and the plan whose usage plan that key is in. */
  usageKey?: { id: string; plan: string };
  /** The records of its plan changes not yet delivered to the audit trail, oldest first (audit-delivery.ts). */
  auditRecords?: AuditRecord[];
}

/**
 * A tenant's API Gateway key on its way from one usage plan to another: noted
 * before the key leaves the old plan, and cleared once the move is recorded or
 * undone. One still there later was cut short (both the move and its undo failed,
 * or the process died): the key may be in neither plan, and the usage plan
 * reconciler puts it back where the tenant's record says it is.
 */
export interface PlanMove {
  tenantId: string;
  keyId: string;
  from: string;
  to: string;
  startedAt: string;
}

/** The tenant records, with a lease so that one request at a time arranges a tenant's usage plan. */
export interface TenantRecords {
  getTenant(tenantId: string): Promise<TenantRecord | undefined>;
  /** Takes the tenant's arrangement lease (creating its record if need be); false if another holds it. */
  claimArrangement(tenantId: string, times: { now: string; leaseUntil: string }): Promise<boolean>;
  /**
   * Records what the arrangement did and gives the lease up, in one write; `plan` is set
   * only when an admin chose it, with `record`, the record of that change, added to the
   * item's waiting records until it is delivered.
   */
  completeArrangement(
    tenantId: string,
    leaseUntil: string,
    outcome: { usageKey: { id: string; plan: string }; plan?: string; record?: AuditRecord },
  ): Promise<void>;
  releaseArrangement(tenantId: string, leaseUntil: string): Promise<void>;
  /** Takes delivered records out of the tenant's item, if they are still there. */
  settleAudit(tenantId: string, auditIds: readonly string[]): Promise<void>;
  /** Tenants whose oldest waiting record has waited since before `before`: deliveries that were interrupted. */
  pendingAudits(before: string): Promise<TenantRecord[]>;
  /** Notes a move before it starts; one tenant has at most one, which a later note replaces. */
  beginPlanMove(move: PlanMove): Promise<void>;
  /** Clears the tenant's move note, if there is one. */
  endPlanMove(tenantId: string): Promise<void>;
  /** Every move note, of every tenant. */
  planMoves(): Promise<PlanMove[]>;
}

export interface DailyUsage {
  date: string;
  requests: number;
}

/** API Gateway's usage plans and API keys, as the tenant service uses them. Every operation is safe to repeat. */
export interface UsagePlanGateway {
  /** The tenant's API key: the one made before, found by its name, or a new one. */
  findOrCreateKey(tenantId: string): Promise<string>;
  addToPlan(keyId: string, plan: string): Promise<void>;
  removeFromPlan(keyId: string, plan: string): Promise<void>;
  /** Requests per day, from and to inclusive, counted against the plan. */
  dailyUsage(keyId: string, plan: string, from: string, to: string): Promise<DailyUsage[]>;
}

/** The plans in force: their names and the default. */
export interface PlanNames {
  default: string;
  names: readonly string[];
}

export interface TenantServiceOptions {
  records: TenantRecords;
  gateway: UsagePlanGateway;
  plans: PlanNames;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
}

/** Long enough for the few API Gateway calls of an arrangement, with the SDK's retries of throttled ones. */
const LEASE_MS = 30_000;

/** What the reconciler did with the moves it found cut short. */
export interface PlanMovesOutcome {
  /** Keys put back in the usage plan their tenant's record names. */
  finished: number;
  /** Moves it could not finish this time (another request held the tenant, or API Gateway failed): for its next run. */
  left: number;
}
/** How long a request waits for another's arrangement of the same tenant before answering 503. */
const WAIT_FOR_OTHER_MS = 5_000;
const POLL_MS = 200;
const DAY_MS = 86_400_000;
const DEFAULT_USAGE_DAYS = 7;
/**
 * How long an environment takes a tenant it has seen arranged to be arranged still,
 * without reading its record. An arrangement, once made, stays made: a plan change
 * moves the tenant's API Gateway key itself, under the tenant's lease, and a
 * deployment that changes the plans starts new environments. Only a move cut
 * short (until the usage plan reconciler finishes it) or an API key deleted by
 * hand, outside the service, undoes one; the bound limits how long a new key of
 * that tenant can meet it.
 */
const ARRANGED_REUSE_MS = 5 * 60_000;

const dayOf = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Tenants and their plans. A plan is enforced by API Gateway: each tenant with
 * keys has one API Gateway API key (the value the authorizer returns for all the
 * tenant's keys), in the usage plan of its plan. This service arranges that,
 * one request per tenant at a time, so no tenant ever gets two.
 */
export class TenantService {
  private readonly records: TenantRecords;
  private readonly gateway: UsagePlanGateway;
  private readonly plans: PlanNames;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Tenants this environment has seen arranged, until when it takes them so without a read (ARRANGED_REUSE_MS). */
  private readonly arranged = new Map<string, number>();

  constructor(options: TenantServiceOptions) {
    this.records = options.records;
    this.gateway = options.gateway;
    this.plans = options.plans;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async get(tenantId: string): Promise<Tenant> {
    const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    return this.toTenant(id, await this.records.getTenant(id));
  }

  /**
   * Moves the tenant (checked at the edge) to `plan`: API Gateway first, then the
   * record, so the plan shown is the one enforced. A change is recorded
   * (`tenant.updated`) in the same write as the plan; the record is delivered after
   * the answer (audit-delivery.ts).
   */
  async setPlan(tenantId: string, { plan }: SetPlanInput, caller: Caller): Promise<Tenant> {
    if (!this.plans.names.includes(plan)) {
      throw new ValidationError([{ path: 'plan', message: `must be one of the plans: ${this.plans.names.join(', ')}` }]);
    }
    return this.toTenant(tenantId, await this.arrange(tenantId, { plan, caller }));
  }

  /**
   * Called before a tenant's key is issued: a key must be counted against its
   * tenant's plan from its first request, or API Gateway refuses it. A tenant this
   * environment saw arranged a moment ago is taken to be so still (ARRANGED_REUSE_MS).
   */
  async prepareForKeys(tenantId: string): Promise<void> {
    const now = this.now().getTime();
    if ((this.arranged.get(tenantId) ?? 0) > now) return;
    const record = await this.records.getTenant(tenantId);
    if (!(record?.usageKey && record.usageKey.plan === this.planOf(record))) await this.arrange(tenantId, undefined);
    this.arranged.set(tenantId, now + ARRANGED_REUSE_MS);
  }

  /** Requests per day, oldest first; by default the last seven days, today included. */
  async usage(tenantId: string, query: unknown): Promise<{ items: DailyUsage[] }> {
    const id = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const { from, to } = this.usageRange(parseOrThrow(usageQuerySchema, query ?? {}));
    const record = await this.records.getTenant(id);
    const counted = record?.usageKey ? await this.gateway.dailyUsage(record.usageKey.id, record.usageKey.plan, from, to) : [];
    const byDate = new Map(counted.map((day) => [day.date, day.requests]));
    const items: DailyUsage[] = [];
    for (let at = Date.parse(from); at <= Date.parse(to); at += DAY_MS) {
      const date = dayOf(new Date(at));
      items.push({ date, requests: byDate.get(date) ?? 0 });
    }
    return { items };
  }

  private usageRange(query: { from?: string; to?: string }): { from: string; to: string } {
    const today = dayOf(this.now());
    const to = query.to ?? (query.from && query.from > today ? query.from : today);
    const from = query.from ?? dayOf(new Date(Date.parse(to) - (DEFAULT_USAGE_DAYS - 1) * DAY_MS));
    if (from > to) throw new ValidationError([{ path: 'from', message: 'must not be after "to"' }]);
    if ((Date.parse(to) - Date.parse(from)) / DAY_MS >= MAX_USAGE_DAYS) {
      throw new ValidationError([{ path: 'to', message: `the range may span at most ${MAX_USAGE_DAYS} days` }]);
    }
    return { from, to };
  }

  private planOf(record: TenantRecord | undefined): string {
    return record?.plan ?? this.plans.default;
  }

  private toTenant(id: string, record: TenantRecord | undefined): Tenant {
    return { id, plan: this.planOf(record), createdAt: record?.createdAt ?? null };
  }

  /**
   * Moves the key from one usage plan to another: noted first, then out of the old
   * plan and into the new one (API Gateway allows a key one usage plan per stage,
   * and both plans cover the same stages). If that fails half-way, the key goes
   * back into the old plan, as the tenant's record still says, and the note is
   * cleared; if that fails too, the note stays for the reconciler. The move's own
   * error is the one thrown: the client's change did not happen.
   */
  private async move(tenantId: string, keyId: string, from: string, to: string): Promise<void> {
    await this.records.beginPlanMove({ tenantId, keyId, from, to, startedAt: this.now().toISOString() });
    try {
      await this.gateway.removeFromPlan(keyId, from);
      await this.gateway.addToPlan(keyId, to);
    } catch (error) {
      try {
        await this.putBack(keyId, from, [to]);
        await this.records.endPlanMove(tenantId);
      } catch {
        // Left noted: the reconciler finishes the undo.
      }
      throw error;
    }
  }

  /** Puts the key in `plan` alone: out of the other plans named first, since a key may be in one plan per stage. */
  private async putBack(keyId: string, plan: string, others: readonly string[]): Promise<void> {
    for (const other of others) {
      if (other !== plan && this.plans.names.includes(other)) await this.gateway.removeFromPlan(keyId, other);
    }
    await this.gateway.addToPlan(keyId, plan);
  }

  /**
   * Finishes the moves cut short: for each note older than a lease (a request
   * still at work holds its tenant's lease longer than that), under the tenant's
   * lease, the key goes into the usage plan its tenant's record names, and the
   * note is cleared. A tenant another request holds is left for the next run.
   */
  async finishPlanMoves(): Promise<PlanMovesOutcome> {
    const outcome: PlanMovesOutcome = { finished: 0, left: 0 };
    const before = this.now().getTime() - LEASE_MS;
    for (const move of await this.records.planMoves()) {
      if (Date.parse(move.startedAt) > before) continue;
      const now = this.now();
      const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
      if (!(await this.records.claimArrangement(move.tenantId, { now: now.toISOString(), leaseUntil }))) {
        outcome.left += 1;
        continue;
      }
      try {
        const record = await this.records.getTenant(move.tenantId);
        const recorded = record?.usageKey;
        if (recorded) await this.putBack(recorded.id, recorded.plan, [move.from, move.to]);
        await this.records.endPlanMove(move.tenantId);
        outcome.finished += 1;
      } catch {
        outcome.left += 1;
      } finally {
        await this.records.releaseArrangement(move.tenantId, leaseUntil).catch(() => undefined);
      }
    }
    return outcome;
  }

  /**
   * Puts the tenant's API key in the usage plan of `chosen` (an admin's choice)
   * or of the plan it has. Under the tenant's lease: a request that finds another
   * at work waits for it, then checks again.
   */
  private async arrange(tenantId: string, chosen: { plan: string; caller: Caller } | undefined): Promise<TenantRecord> {
    const waitUntil = this.now().getTime() + WAIT_FOR_OTHER_MS;
    for (;;) {
      const now = this.now();
      const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
      if (await this.records.claimArrangement(tenantId, { now: now.toISOString(), leaseUntil })) {
        return this.arrangeUnderLease(tenantId, chosen, leaseUntil);
      }
      if (now.getTime() >= waitUntil) {
        throw new UsagePlansUnavailableError("Another request is setting up this tenant's usage plan; retry shortly.");
      }
      await this.sleep(POLL_MS);
      const record = await this.records.getTenant(tenantId);
      // The other request did what this one came to do.
      if (chosen === undefined && record?.usageKey && record.usageKey.plan === this.planOf(record)) return record;
    }
  }

  private async arrangeUnderLease(
    tenantId: string,
    chosen: { plan: string; caller: Caller } | undefined,
    leaseUntil: string,
  ): Promise<TenantRecord> {
    try {
      const record = await this.records.getTenant(tenantId);
      const plan = chosen?.plan ?? this.planOf(record);
      const keyId = record?.usageKey?.id ?? (await this.gateway.findOrCreateKey(tenantId));
      const previous = record?.usageKey?.plan;
      let moving = false;
      if (previous !== plan) {
        moving = previous !== undefined && this.plans.names.includes(previous);
        if (moving && previous !== undefined) await this.move(tenantId, keyId, previous, plan);
        else await this.gateway.addToPlan(keyId, plan);
      }
      const usageKey = { id: keyId, plan };
      const old = this.planOf(record);
      // Setting the plan a tenant has already changes nothing, and records nothing.
      const changed =
        chosen !== undefined && old !== plan
          ? auditRecordOf({
              tenantId,
              keyId: null,
              keyName: null,
              action: 'tenant.updated',
              changes: { plan: { old, new: plan } },
              caller: chosen.caller,
              at: this.now(),
            })
          : undefined;
      await this.records.completeArrangement(
        tenantId,
        leaseUntil,
        chosen === undefined ? { usageKey } : { usageKey, plan, ...(changed ? { record: changed } : {}) },
      );
      // The move is recorded: its note has done its work. One left behind is cleared by the reconciler,
      // which finds the key already where the record says.
      if (moving) await this.records.endPlanMove(tenantId).catch(() => undefined);
      return {
        tenantId,
        createdAt: record?.createdAt ?? this.now().toISOString(),
        usageKey,
        ...(chosen !== undefined ? { plan: chosen.plan } : record?.plan !== undefined ? { plan: record.plan } : {}),
      };
    } catch (error) {
      // Nothing recorded: the next request starts over, and finds by name any key this one made.
      await this.records.releaseArrangement(tenantId, leaseUntil).catch(() => undefined);
      throw error;
    }
  }
}
