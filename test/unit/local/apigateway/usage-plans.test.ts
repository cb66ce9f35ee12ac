import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiStage,
  createUsagePlans,
  type UsagePlans,
  UsagePlansFileError,
  type UsagePlansOptions,
  usagePlanId,
} from '../../../../local/apigateway/usage-plans';
import type { PlanDeclaration } from '../../../../src/plans';

const PLANS: PlanDeclaration = {
  default: 'free',
  plans: {
    free: { rateLimit: 1, burstLimit: 2, quota: { limit: 3, period: 'DAY' } },
    weekly: { rateLimit: 100, burstLimit: 100, quota: { limit: 5, period: 'WEEK' } },
    pro: { rateLimit: 100, burstLimit: 100 },
  },
};
const STAGE: ApiStage = 'local:v1';
/** The refusal, or undefined when the request passed, on STAGE. */
const admitted = (usagePlans: UsagePlans, value: string | undefined, stage = STAGE) => {
  const outcome = usagePlans.admit(value, stage);
  return outcome.admitted ? undefined : outcome.refusal;
};
/** Usage plans with STAGE deployed under them, as local mode starts them. */
function deployed(options: UsagePlansOptions): UsagePlans {
  const usagePlans = createUsagePlans(options);
  usagePlans.deployStage(STAGE);
  return usagePlans;
}
const VALUE = 'a-usage-key-value-of-the-tenant-acme';

function withKeyIn(planName: string, start = '2030-03-05T12:00:00Z') {
  const clock = { now: Date.parse(start) };
  const usagePlans = deployed({ declaration: PLANS, now: () => clock.now });
  const key = usagePlans.createApiKey({ name: 'local/acme', value: VALUE, enabled: true });
  if (key === 'duplicateValue') throw new Error('duplicate');
  expect(usagePlans.addKey(usagePlanId(planName), key.id)).toBe('added');
  return { clock, usagePlans, key };
}

describe('the local usage plans', () => {
  it('makes one usage plan per declared plan and tells the functions their ids', () => {
    const usagePlans = deployed({ declaration: PLANS });
    expect(usagePlans.environment).toEqual({
      default: 'free',
      ids: { free: 'local-free', weekly: 'local-weekly', pro: 'local-pro' },
    });
  });

  it('refuses, as API Gateway does, a key it does not know, a disabled one, and one in no plan (INVALID_API_KEY)', () => {
    const usagePlans = deployed({ declaration: PLANS });
    expect(admitted(usagePlans, undefined)).toBe('INVALID_API_KEY');
    expect(admitted(usagePlans, VALUE)).toBe('INVALID_API_KEY');
    const disabled = usagePlans.createApiKey({ value: VALUE, enabled: false });
    if (disabled === 'duplicateValue') throw new Error('duplicate');
    usagePlans.addKey(usagePlanId('pro'), disabled.id);
    expect(admitted(usagePlans, VALUE)).toBe('INVALID_API_KEY');
    const outside = usagePlans.createApiKey({ value: `${VALUE}-2`, enabled: true });
    expect(outside).not.toBe('duplicateValue');
    expect(admitted(usagePlans, `${VALUE}-2`)).toBe('INVALID_API_KEY');
  });

  it('counts a key only on the stages its usage plan covers: a stage dropped from the plan refuses it until it is added back', () => {
    const { usagePlans } = withKeyIn('pro');
    expect(usagePlans.stagesOf(usagePlanId('pro'))).toEqual([STAGE]);
    expect(admitted(usagePlans, VALUE, 'orders:v1')).toBe('INVALID_API_KEY');
    expect(usagePlans.changeStages(usagePlanId('pro'), [{ op: 'remove', stage: STAGE }])).toBe('changed');
    expect(usagePlans.stagesOf(usagePlanId('pro'))).toEqual([]);
    expect(admitted(usagePlans, VALUE)).toBe('INVALID_API_KEY');
    // Only a stage local mode serves can join a plan; an unknown plan is no plan.
    expect(usagePlans.changeStages(usagePlanId('pro'), [{ op: 'add', stage: 'nowhere:v1' }])).toBe('noSuchStage');
    expect(usagePlans.changeStages('gold', [{ op: 'add', stage: STAGE }])).toBe('noSuchPlan');
    expect(usagePlans.stagesOf('gold')).toBeUndefined();
    expect(usagePlans.changeStages(usagePlanId('pro'), [{ op: 'add', stage: STAGE }])).toBe('changed');
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
  });

  it('throttles past the burst, then admits again at the plan’s rate', () => {
    const { clock, usagePlans } = withKeyIn('free');
    expect([admitted(usagePlans, VALUE), admitted(usagePlans, VALUE), admitted(usagePlans, VALUE)]).toEqual([
      undefined,
      undefined,
      'THROTTLED',
    ]);
    clock.now += 1000;
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
  });

  it('stops at the daily quota until the next UTC day, and counts only what was admitted', () => {
    const { clock, usagePlans, key } = withKeyIn('free', '2030-03-05T23:59:50Z');
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
    expect(admitted(usagePlans, VALUE)).toBe('THROTTLED');
    clock.now += 1000;
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
    clock.now += 5000;
    expect(admitted(usagePlans, VALUE)).toBe('QUOTA_EXCEEDED');
    clock.now = Date.parse('2030-03-06T00:00:00Z');
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
    expect(usagePlans.usage('local-free', { startDate: '2030-03-05', endDate: '2030-03-06' }, key.id)).toEqual({
      [key.id]: [
        [3, 0],
        [1, 2],
      ],
    });
  });

  it('counts a WEEK quota from Sunday, and gives each day what remains of the period after it', () => {
    // 2030-03-09 is a Saturday, 2030-03-10 a Sunday.
    const { clock, usagePlans, key } = withKeyIn('weekly', '2030-03-08T10:00:00Z');
    for (const at of ['2030-03-08T10:00:00Z', '2030-03-08T11:00:00Z', '2030-03-09T10:00:00Z', '2030-03-09T11:00:00Z']) {
      clock.now = Date.parse(at);
      expect(admitted(usagePlans, VALUE)).toBeUndefined();
    }
    clock.now = Date.parse('2030-03-09T12:00:00Z');
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
    expect(admitted(usagePlans, VALUE)).toBe('QUOTA_EXCEEDED');
    clock.now = Date.parse('2030-03-10T00:00:01Z');
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
    expect(usagePlans.usage('local-weekly', { startDate: '2030-03-07', endDate: '2030-03-10' }, key.id)).toEqual({
      [key.id]: [
        [0, 5],
        [2, 3],
        [3, 0],
        [1, 4],
      ],
    });
  });

  it('gives a plan without a quota no limit but its rate, and counts its usage', () => {
    const { usagePlans, key } = withKeyIn('pro');
    for (let request = 0; request < 100; request++) expect(admitted(usagePlans, VALUE)).toBeUndefined();
    expect(admitted(usagePlans, VALUE)).toBe('THROTTLED');
    expect(usagePlans.usage('local-pro', { startDate: '2030-03-05', endDate: '2030-03-05' })).toEqual({
      [key.id]: [[100, 0]],
    });
  });

  it('keeps a key in one plan at a time, as every plan covers the same stages', () => {
    const { usagePlans, key } = withKeyIn('free');
    expect(usagePlans.addKey('local-free', key.id)).toBe('alreadyInPlan');
    expect(usagePlans.addKey('local-pro', key.id)).toBe('inAnotherPlan');
    expect(usagePlans.addKey('local-gold', key.id)).toBe('noSuchPlan');
    expect(usagePlans.addKey('local-pro', 'nosuchkey')).toBe('noSuchKey');
    expect(usagePlans.removeKey('local-pro', key.id)).toBe('notInPlan');
    expect(usagePlans.removeKey('local-free', key.id)).toBe('removed');
    expect(admitted(usagePlans, VALUE)).toBe('INVALID_API_KEY');
    expect(usagePlans.addKey('local-pro', key.id)).toBe('added');
    expect(admitted(usagePlans, VALUE)).toBeUndefined();
  });

  it('refuses a second key with the same value', () => {
    const { usagePlans } = withKeyIn('free');
    expect(usagePlans.createApiKey({ name: 'other', value: VALUE, enabled: true })).toBe('duplicateValue');
  });

  describe('in DATA_DIR', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'usage-plans-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('keeps keys and memberships across restarts, in a file only its owner reads; usage starts afresh', async () => {
      const file = join(dir, 'keys.json');
      const first = deployed({ declaration: PLANS, file });
      const key = first.createApiKey({ name: 'local/acme', value: VALUE, enabled: true });
      if (key === 'duplicateValue') throw new Error('duplicate');
      first.addKey('local-free', key.id);
      admitted(first, VALUE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const second = deployed({ declaration: PLANS, file });
      expect(second.apiKeys()).toEqual([key]);
      expect(second.addKey('local-free', key.id)).toBe('alreadyInPlan');
      expect(admitted(second, VALUE)).toBeUndefined();
      const today = new Date().toISOString().slice(0, 10);
      expect(second.usage('local-free', { startDate: today, endDate: today })?.[key.id]?.[0]?.[0]).toBe(1);
    });

    it('keeps the stages each plan covers across restarts: one a plan lost stays lost; a new stage, or a new plan, covers all', async () => {
      const file = join(dir, 'keys.json');
      const first = deployed({ declaration: PLANS, file });
      first.changeStages(usagePlanId('pro'), [{ op: 'remove', stage: STAGE }]);
      const second = createUsagePlans({ declaration: { ...PLANS, plans: { ...PLANS.plans, gold: PLANS.plans.pro } }, file });
      second.deployStage(STAGE);
      second.deployStage('orders:v1');
      expect(second.stagesOf(usagePlanId('pro'))).toEqual(['orders:v1']);
      expect(second.stagesOf(usagePlanId('free'))).toEqual([STAGE, 'orders:v1']);
      expect(second.stagesOf(usagePlanId('gold'))).toEqual([STAGE, 'orders:v1']);
    });

    it('drops, with a warning, memberships of a plan that is no longer declared', async () => {
      const file = join(dir, 'keys.json');
      const before = deployed({ declaration: PLANS, file });
      const key = before.createApiKey({ value: VALUE, enabled: true });
      if (key === 'duplicateValue') throw new Error('duplicate');
      before.addKey('local-weekly', key.id);
      const warn = jest.fn();
      const after = deployed({ declaration: { default: 'free', plans: { free: PLANS.plans.free } }, file, warn });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('usage plan local-weekly'));
      expect(admitted(after, VALUE)).toBe('INVALID_API_KEY');
      expect(JSON.parse(await readFile(file, 'utf8')).planKeys).toEqual({ 'local-free': [] });
      expect(after.addKey('local-free', key.id)).toBe('added');
    });

    it('refuses a file it did not write, naming it', async () => {
      const file = join(dir, 'keys.json');
      await writeFile(file, '{"apiKeys":');
      expect(() => deployed({ declaration: PLANS, file })).toThrow(UsagePlansFileError);
      expect(() => deployed({ declaration: PLANS, file })).toThrow(file);
    });
  });
});
