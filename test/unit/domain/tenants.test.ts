import type { Caller } from '../../../src/domain/caller';
import { UsagePlansUnavailableError, ValidationError } from '../../../src/domain/errors';
import { TenantService, type UsagePlanGateway } from '../../../src/domain/tenants';
import { parseOrThrow, setPlanBodySchema, tenantIdSchema } from '../../../src/domain/validation';
import { ADMIN } from '../../fixtures/key-commands';
import { MemoryTenantRecords } from '../../fixtures/memory-tenant-records';

const PLANS = { default: 'free', names: ['free', 'pro'] };
const NOW = new Date('2026-03-10T12:00:00.000Z');

/** API Gateway as the domain sees it, remembering which key is in which plan. */
class FakeGateway implements UsagePlanGateway {
  readonly keys = new Map<string, string>();
  readonly membership = new Map<string, Set<string>>();
  readonly usage = new Map<string, { date: string; requests: number }[]>();
  calls: string[] = [];
  /** Calls that fail, such as `add key-acme-0 free`, as API Gateway's would when throttled or unreachable. */
  readonly failing = new Set<string>();

  private call(call: string): void {
    this.calls.push(call);
    if (this.failing.has(call)) throw new UsagePlansUnavailableError(`${call} failed`);
  }

  async findOrCreateKey(tenantId: string): Promise<string> {
    this.calls.push(`findOrCreateKey ${tenantId}`);
    await Promise.resolve();
    const id = this.keys.get(tenantId) ?? `key-${tenantId}-${this.keys.size}`;
    this.keys.set(tenantId, id);
    return id;
  }

  async addToPlan(keyId: string, plan: string): Promise<void> {
    this.call(`add ${keyId} ${plan}`);
    const plans = this.membership.get(keyId) ?? new Set();
    if (plans.size > 0 && !plans.has(plan)) throw new Error('a key is in one usage plan per stage');
    plans.add(plan);
    this.membership.set(keyId, plans);
  }

  async removeFromPlan(keyId: string, plan: string): Promise<void> {
    this.call(`remove ${keyId} ${plan}`);
    this.membership.get(keyId)?.delete(plan);
  }

  async dailyUsage(keyId: string, plan: string): Promise<{ date: string; requests: number }[]> {
    this.calls.push(`usage ${keyId} ${plan}`);
    return this.usage.get(keyId) ?? [];
  }
}

/** PUT /tenants/{tenantId} as its handler runs it: the tenant and the body checked at the edge, then the plan set. */
function planSetter(tenants: TenantService) {
  return async (tenantId: string, body: unknown, caller: Caller = ADMIN) =>
    tenants.setPlan(parseOrThrow(tenantIdSchema, tenantId, 'tenantId'), parseOrThrow(setPlanBodySchema, body), caller);
}

function setup(now = () => NOW) {
  const records = new MemoryTenantRecords();
  const gateway = new FakeGateway();
  const tenants = new TenantService({ records, gateway, plans: PLANS, now, sleep: () => Promise.resolve() });
  return { records, gateway, tenants, setPlan: planSetter(tenants) };
}

describe('a tenant and its plan', () => {
  it('reads as the default plan, with no creation time, before it is ever configured', async () => {
    const { tenants, gateway } = setup();
    await expect(tenants.get('acme')).resolves.toEqual({ id: 'acme', plan: 'free', createdAt: null });
    expect(gateway.calls).toEqual([]);
  });

  it('moves to a plan in API Gateway first, then records it', async () => {
    const { tenants, gateway, records, setPlan } = setup();
    await expect(setPlan('acme', { plan: 'pro' })).resolves.toEqual({
      id: 'acme',
      plan: 'pro',
      createdAt: NOW.toISOString(),
    });
    expect(gateway.calls).toEqual(['findOrCreateKey acme', 'add key-acme-0 pro']);
    expect(records.records.get('acme')).toMatchObject({ plan: 'pro', usageKey: { id: 'key-acme-0', plan: 'pro' } });
    await expect(tenants.get('acme')).resolves.toMatchObject({ plan: 'pro' });
  });

  it('leaves the old usage plan before joining the new one: API Gateway allows a key one per stage', async () => {
    const { gateway, setPlan } = setup();
    await setPlan('acme', { plan: 'pro' });
    gateway.calls = [];
    await setPlan('acme', { plan: 'free' });
    expect(gateway.calls).toEqual(['remove key-acme-0 pro', 'add key-acme-0 free']);
    expect([...(gateway.membership.get('key-acme-0') ?? [])]).toEqual(['free']);
  });

  it('does nothing in API Gateway when the plan is the one it has', async () => {
    const { gateway, setPlan } = setup();
    await setPlan('acme', { plan: 'pro' });
    gateway.calls = [];
    await setPlan('acme', { plan: 'pro' });
    expect(gateway.calls).toEqual([]);
  });

  it.each([
    [{ plan: 'gold' }, 'plan', 'must be one of the plans: free, pro'],
    [{}, 'plan', expect.any(String)],
    [{ plan: 'pro', extra: 1 }, '(body)', 'unknown field(s): extra'],
    [undefined, '(body)', expect.any(String)],
  ])('refuses %j with 400 and changes nothing', async (body, path, message) => {
    const { gateway, records, setPlan } = setup();
    const error = await setPlan('acme', body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toContainEqual({ path, message });
    expect(gateway.calls).toEqual([]);
    expect(records.records.size).toBe(0);
  });

  it('refuses a malformed tenant id', async () => {
    const { tenants, setPlan } = setup();
    await expect(tenants.get('../etc')).rejects.toBeInstanceOf(ValidationError);
    await expect(setPlan('a b', { plan: 'pro' })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('getting a tenant ready for its keys', () => {
  it('puts its API Gateway key in the default plan, once', async () => {
    const { tenants, gateway, records } = setup();
    await tenants.prepareForKeys('acme');
    await tenants.prepareForKeys('acme');
    expect(gateway.calls).toEqual(['findOrCreateKey acme', 'add key-acme-0 free']);
    // Not an admin's choice: the tenant follows the default if it changes.
    expect(records.records.get('acme')?.plan).toBeUndefined();
  });

  it('reads a tenant it has seen arranged again only once five minutes have passed', async () => {
    let clock = NOW.getTime();
    const records = new MemoryTenantRecords();
    const tenants = new TenantService({
      records,
      gateway: new FakeGateway(),
      plans: PLANS,
      now: () => new Date(clock),
      sleep: () => Promise.resolve(),
    });
    const reads = jest.spyOn(records, 'getTenant');
    await tenants.prepareForKeys('acme');
    const arranging = reads.mock.calls.length;
    clock += 5 * 60_000 - 1;
    await tenants.prepareForKeys('acme');
    expect(reads).toHaveBeenCalledTimes(arranging);
    clock += 1;
    await tenants.prepareForKeys('acme');
    expect(reads).toHaveBeenCalledTimes(arranging + 1);
  });

  it('under concurrency, makes one API Gateway key and joins the plan once', async () => {
    const { tenants, gateway } = setup();
    await Promise.all(Array.from({ length: 20 }, () => tenants.prepareForKeys('acme')));
    expect(gateway.calls.filter((call) => call.startsWith('findOrCreateKey'))).toEqual(['findOrCreateKey acme']);
    expect(gateway.keys.size).toBe(1);
  });

  it('moves a tenant whose usage plan is no longer its plan (the default changed)', async () => {
    const { records, gateway } = setup();
    records.records.set('acme', { tenantId: 'acme', createdAt: NOW.toISOString(), usageKey: { id: 'k1', plan: 'pro' } });
    const tenants = new TenantService({ records, gateway, plans: PLANS, now: () => NOW, sleep: () => Promise.resolve() });
    await tenants.prepareForKeys('acme');
    expect(gateway.calls).toEqual(['remove k1 pro', 'add k1 free']);
  });

  it('gives up with 503 while another request holds the lease, and releases its own on failure', async () => {
    let clock = NOW.getTime();
    const { records, gateway, tenants } = setup(() => {
      clock += 1_000;
      return new Date(clock);
    });
    await records.claimArrangement('acme', { now: NOW.toISOString(), leaseUntil: '2026-03-10T13:00:00.000Z' });
    await expect(tenants.prepareForKeys('acme')).rejects.toBeInstanceOf(UsagePlansUnavailableError);
    expect(gateway.calls).toEqual([]);

    const failing = new TenantService({
      records,
      gateway: Object.assign(Object.create(gateway) as FakeGateway, {
        findOrCreateKey: () => Promise.reject(new UsagePlansUnavailableError('throttled')),
      }),
      plans: PLANS,
      now: () => new Date('2026-03-10T14:00:00.000Z'),
    });
    await expect(failing.prepareForKeys('acme')).rejects.toThrow('throttled');
    // Released: the next request may go at once.
    await expect(tenants.prepareForKeys('acme')).resolves.toBeUndefined();
  });
});

describe('a move between plans that fails half-way', () => {
  /** acme on `pro`, its key k1 in the pro usage plan, at `at`. */
  function onPro(at: () => Date = () => NOW) {
    const { records, gateway } = setup();
    records.records.set('acme', {
      tenantId: 'acme',
      createdAt: NOW.toISOString(),
      plan: 'pro',
      usageKey: { id: 'k1', plan: 'pro' },
    });
    gateway.membership.set('k1', new Set(['pro']));
    const tenants = new TenantService({ records, gateway, plans: PLANS, now: at, sleep: () => Promise.resolve() });
    return { records, gateway, tenants };
  }
  const plansOf = (gateway: FakeGateway) => [...(gateway.membership.get('k1') ?? [])];

  it('is undone: the key goes back into the old plan, the tenant stays on it, and nothing is left pending', async () => {
    const { records, gateway, tenants } = onPro();
    gateway.failing.add('add k1 free');
    await expect(tenants.setPlan('acme', { plan: 'free' }, ADMIN)).rejects.toBeInstanceOf(UsagePlansUnavailableError);
    expect(gateway.calls).toEqual(['remove k1 pro', 'add k1 free', 'remove k1 free', 'add k1 pro']);
    expect(plansOf(gateway)).toEqual(['pro']);
    await expect(tenants.get('acme')).resolves.toMatchObject({ plan: 'pro' });
    expect(records.moves.size).toBe(0);
    // The lease is given back: the admin may retry at once.
    gateway.failing.clear();
    await expect(tenants.setPlan('acme', { plan: 'free' }, ADMIN)).resolves.toMatchObject({ plan: 'free' });
    expect(plansOf(gateway)).toEqual(['free']);
  });

  it('stays pending when the undo fails too, and the reconciler puts the key back in the plan the tenant is on', async () => {
    let clock = NOW.getTime();
    const { records, gateway, tenants } = onPro(() => new Date(clock));
    gateway.failing.add('add k1 free');
    gateway.failing.add('add k1 pro');
    await expect(tenants.setPlan('acme', { plan: 'free' }, ADMIN)).rejects.toThrow('add k1 free failed');
    // In no plan at all: every key of the tenant would be refused (503) until this is finished.
    expect(plansOf(gateway)).toEqual([]);
    expect([...records.moves.values()]).toEqual([
      { tenantId: 'acme', keyId: 'k1', from: 'pro', to: 'free', startedAt: NOW.toISOString() },
    ]);
    await expect(tenants.get('acme')).resolves.toMatchObject({ plan: 'pro' });

    // A run while API Gateway still fails leaves it for the next.
    clock += 60_000;
    await expect(tenants.finishPlanMoves()).resolves.toEqual({ finished: 0, left: 1 });
    expect(records.moves.size).toBe(1);
    gateway.failing.clear();
    gateway.calls = [];
    await expect(tenants.finishPlanMoves()).resolves.toEqual({ finished: 1, left: 0 });
    expect(gateway.calls).toEqual(['remove k1 free', 'add k1 pro']);
    expect(plansOf(gateway)).toEqual(['pro']);
    expect(records.moves.size).toBe(0);
    await expect(tenants.finishPlanMoves()).resolves.toEqual({ finished: 0, left: 0 });
  });

  it('when the process died mid-move, is finished towards the plan recorded, once no request can still be at it', async () => {
    let clock = NOW.getTime();
    const { records, gateway, tenants } = onPro(() => new Date(clock));
    // Out of pro, then the process died: no undo, the lease held until it runs out.
    await records.claimArrangement('acme', { now: NOW.toISOString(), leaseUntil: new Date(clock + 30_000).toISOString() });
    await records.beginPlanMove({ tenantId: 'acme', keyId: 'k1', from: 'pro', to: 'free', startedAt: NOW.toISOString() });
    gateway.membership.set('k1', new Set());
    // Too young: a request may still be at work on it.
    clock += 10_000;
    await expect(tenants.finishPlanMoves()).resolves.toEqual({ finished: 0, left: 0 });
    clock += 30_000;
    await expect(tenants.finishPlanMoves()).resolves.toEqual({ finished: 1, left: 0 });
    expect(plansOf(gateway)).toEqual(['pro']);
  });

  it('leaves a tenant another request holds to that request, for the next run', async () => {
    let clock = NOW.getTime();
    const { records, tenants } = onPro(() => new Date(clock));
    await records.beginPlanMove({ tenantId: 'acme', keyId: 'k1', from: 'pro', to: 'free', startedAt: NOW.toISOString() });
    clock += 60_000;
    await records.claimArrangement('acme', {
      now: new Date(clock).toISOString(),
      leaseUntil: new Date(clock + 30_000).toISOString(),
    });
    await expect(tenants.finishPlanMoves()).resolves.toEqual({ finished: 0, left: 1 });
    expect(records.moves.size).toBe(1);
  });

  it('clears the note of a move that succeeded', async () => {
    const { records, gateway, tenants } = onPro();
    await tenants.setPlan('acme', { plan: 'free' }, ADMIN);
    expect(plansOf(gateway)).toEqual(['free']);
    expect(records.moves.size).toBe(0);
  });
});

describe("a tenant's usage", () => {
  it('is one entry per day of the range, zero where API Gateway counted nothing', async () => {
    const { tenants, gateway } = setup();
    await tenants.prepareForKeys('acme');
    gateway.usage.set('key-acme-0', [{ date: '2026-03-09', requests: 7 }]);
    await expect(tenants.usage('acme', { from: '2026-03-08', to: '2026-03-10' })).resolves.toEqual({
      items: [
        { date: '2026-03-08', requests: 0 },
        { date: '2026-03-09', requests: 7 },
        { date: '2026-03-10', requests: 0 },
      ],
    });
  });

  it('defaults to the last seven days, today included; a tenant without an API Gateway key has none', async () => {
    const { tenants, gateway } = setup();
    const { items } = await tenants.usage('acme', {});
    expect(items.map((item) => item.date)).toEqual([
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-07',
      '2026-03-08',
      '2026-03-09',
      '2026-03-10',
    ]);
    expect(items.every((item) => item.requests === 0)).toBe(true);
    expect(gateway.calls).toEqual([]);
  });

  it.each([
    [{ from: '2026-02-30' }, 'from', 'must be a real calendar date'],
    [{ from: '10/03/2026' }, 'from', 'must be a date, YYYY-MM-DD'],
    [{ from: '2026-03-10', to: '2026-03-01' }, 'from', 'must not be after "to"'],
    [{ from: '2025-01-01', to: '2026-03-10' }, 'to', 'the range may span at most 90 days'],
    [{ limit: '5' }, '(body)', 'unknown field(s): limit'],
  ])('refuses %j with 400', async (query, path, message) => {
    const { tenants } = setup();
    const error = await tenants.usage('acme', query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toContainEqual({ path, message });
  });
});

describe('plan changes in the audit trail', () => {
  const admin: Caller = {
    kind: 'iam',
    arn: 'arn:aws:iam::123456789012:user/ops',
    origin: { requestId: 'r-1', sourceIp: '198.51.100.7' },
  };

  it('records tenant.updated with the old and new plan, the admin and the request, in the write of the plan', async () => {
    const { records, setPlan } = setup();
    await setPlan('acme', { plan: 'pro' }, admin);
    expect(records.records.get('acme')?.auditRecords).toEqual([
      {
        id: expect.stringMatching(/^aud_/),
        tenantId: 'acme',
        at: NOW.toISOString(),
        actor: { type: 'iam', arn: admin.kind === 'iam' ? admin.arn : '' },
        action: 'tenant.updated',
        keyId: null,
        keyName: null,
        changes: { plan: { old: 'free', new: 'pro' } },
        requestId: 'r-1',
        sourceIp: '198.51.100.7',
      },
    ]);
    // Setting the plan it has changes nothing, and records nothing; another change adds its record to the one waiting.
    await setPlan('acme', { plan: 'pro' }, admin);
    await setPlan('acme', { plan: 'free' }, admin);
    expect(records.records.get('acme')?.auditRecords?.map((record) => record.changes)).toEqual([
      { plan: { old: 'free', new: 'pro' } },
      { plan: { old: 'pro', new: 'free' } },
    ]);
  });
});
