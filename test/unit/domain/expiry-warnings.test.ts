/**
 * Expiry warnings (DESIGN §17): one `key.expiring` record per active key and
 * expiry, `window` before it: written with the change that makes it due at once,
 * otherwise scheduled and written by `warnOfExpiry` when it runs; never twice,
 * never for a key in a grace period, disabled, revoked or deleted.
 */
import type { KeyRecord } from '../../../src/domain/api-key';
import { ConcurrentChangeError } from '../../../src/domain/errors';
import { expiryWarningOf } from '../../../src/domain/expiry-warnings';
import { warnOfExpiry } from '../../../src/domain/key-commands/warn-of-expiry';
import { KeyService } from '../../../src/domain/key-service';
import { keyCommandsOf } from '../../fixtures/key-commands';
import { keyRecord } from '../../fixtures/keys';
import { FakeClock, MemoryKeyStore, RecordingExpiryWarnings, RecordingInvalidation } from '../../fixtures/memory-key-store';

const DAY = 24 * 60 * 60 * 1000;
const WEEK_SECONDS = 7 * 24 * 60 * 60;

function setup(records: KeyRecord[] = [], options: { warnings?: boolean } = {}) {
  const store = new MemoryKeyStore(records);
  const clock = new FakeClock();
  const warnings = new RecordingExpiryWarnings(WEEK_SECONDS);
  const service = new KeyService({
    store,
    invalidation: new RecordingInvalidation(),
    now: clock.now,
    ...(options.warnings === false ? {} : { expiryWarnings: warnings }),
  });
  const commands = keyCommandsOf(service);
  /** Runs the warning a schedule would run now. */
  const runScheduled = (keyId: string) => {
    const scheduled = warnings.scheduled.get(keyId);
    if (!scheduled) throw new Error(`no warning scheduled for ${keyId}`);
    return service.run(warnOfExpiry, {
      tenantId: scheduled.tenantId,
      keyId,
      input: undefined,
      caller: { kind: 'service' },
    });
  };
  /** The `key.expiring` records waiting in the tenant's keys, by key id. */
  const warningsOf = (keyId: string) =>
    [...store.items.values()]
      .filter((item) => item.keyId === keyId)
      .flatMap((item) => item.auditRecords ?? [])
      .filter((record) => record.action === 'key.expiring');
  return { store, clock, warnings, service, commands, runScheduled, warningsOf };
}

describe('a change that sets an expiry', () => {
  it('inside the window: the key is warned in the same write, once, by the service, and nothing is scheduled', async () => {
    const { clock, warnings, commands, warningsOf, store } = setup();
    const expiresAt = clock.iso(2 * DAY);
    const created = await commands.create('acme', { name: 'soon', expiresAt });

    expect(warningsOf(created.id)).toEqual([
      expect.objectContaining({
        action: 'key.expiring',
        actor: { type: 'service' },
        keyName: 'soon',
        changes: { expiresAt: { old: expiresAt, new: expiresAt } },
        requestId: null,
        sourceIp: null,
      }),
    ]);
    // After the change's own record: the trail reads them in the order they were made.
    const [item] = store.all('acme');
    expect(item.auditRecords?.map((record) => record.action)).toEqual(['key.created', 'key.expiring']);
    expect(item.expiryWarnedFor).toBe(expiresAt);
    expect(warnings.scheduled.size).toBe(0);
  });

  it('beyond the window: the warning is scheduled for the window before the expiry, and written when it runs', async () => {
    const { clock, warnings, commands, runScheduled, warningsOf } = setup();
    const expiresAt = clock.iso(30 * DAY);
    const created = await commands.create('acme', { name: 'later', expiresAt });

    expect(warningsOf(created.id)).toEqual([]);
    expect(warnings.scheduled.get(created.id)).toEqual({ tenantId: 'acme', expiresAt, at: clock.iso(23 * DAY) });
    clock.advance(23 * DAY);
    await runScheduled(created.id);
    await runScheduled(created.id);
    expect(warningsOf(created.id)).toHaveLength(1);
  });

  it('is warned once per expiry: again for a new one, never for the same one twice', async () => {
    const { clock, commands, warningsOf } = setup();
    const created = await commands.create('acme', { name: 'k', expiresAt: clock.iso(30 * DAY) });
    const first = clock.iso(3 * DAY);
    await commands.update('acme', created.id, { expiresAt: first });
    await commands.update('acme', created.id, { expiresAt: first });
    await commands.update('acme', created.id, { name: 'renamed' });
    expect(warningsOf(created.id)).toHaveLength(1);
    await commands.update('acme', created.id, { expiresAt: clock.iso(2 * DAY) });
    expect(warningsOf(created.id).map((record) => record.changes.expiresAt.new)).toEqual([first, clock.iso(2 * DAY)]);
  });

  it('moved out of the window and back, or enabled again inside it, warns of that expiry (unless warned of it)', async () => {
    const { clock, warnings, commands, warningsOf } = setup();
    const created = await commands.create('acme', { name: 'k' });
    await commands.update('acme', created.id, { enabled: false });
    const soon = clock.iso(DAY);
    await commands.update('acme', created.id, { expiresAt: soon });
    expect(warningsOf(created.id)).toEqual([]);
    await commands.update('acme', created.id, { enabled: true });
    expect(warningsOf(created.id)).toHaveLength(1);
    await commands.update('acme', created.id, { expiresAt: clock.iso(60 * DAY) });
    expect(warnings.scheduled.get(created.id)?.at).toBe(clock.iso(53 * DAY));
    await commands.update('acme', created.id, { expiresAt: soon });
    expect(warningsOf(created.id)).toHaveLength(1);
  });

  it('set again to the same expiry, warns a key never warned of it: a key whose expiry was set before warnings existed', async () => {
    const far = keyRecord({ tenantId: 'acme', expiresAt: '2026-12-26T12:00:00.000Z' });
    const near = keyRecord({ tenantId: 'acme', expiresAt: '2026-11-29T12:00:00.000Z' });
    const { clock, warnings, commands, warningsOf } = setup([far, near]);
    // Any other change leaves it as it was.
    await commands.update('acme', far.keyId, { name: 'renamed' });
    expect(warnings.scheduled.size).toBe(0);

    await commands.update('acme', far.keyId, { expiresAt: far.expiresAt });
    expect(warnings.scheduled.get(far.keyId)).toEqual({ tenantId: 'acme', expiresAt: far.expiresAt, at: clock.iso(23 * DAY) });
    await commands.update('acme', near.keyId, { expiresAt: near.expiresAt });
    expect(warningsOf(near.keyId)).toHaveLength(1);
    // Warned already, it is not warned again.
    await commands.update('acme', near.keyId, { expiresAt: near.expiresAt });
    expect(warningsOf(near.keyId)).toHaveLength(1);
    expect(warnings.scheduled.has(near.keyId)).toBe(false);
  });

  it('warns of no expiry that has come (the key is refused already), and never a key without one', async () => {
    const { clock, warnings, commands, warningsOf } = setup();
    const created = await commands.create('acme', { name: 'k' });
    await commands.update('acme', created.id, { enabled: false });
    await commands.update('acme', created.id, { expiresAt: clock.iso(10_000) });
    clock.advance(20_000);
    await commands.update('acme', created.id, { enabled: true });
    const forever = await commands.create('acme', { name: 'forever' });
    expect(warningsOf(created.id)).toEqual([]);
    expect(warningsOf(forever.id)).toEqual([]);
    expect(warnings.scheduled.size).toBe(0);
  });

  it('a rotation warns the replacement, not the key in its grace period; the warning goes live with the replacement', async () => {
    const { clock, commands, warningsOf, store } = setup();
    const old = await commands.create('acme', { name: 'k', expiresAt: clock.iso(30 * DAY) });
    const rotated = await commands.rotate('acme', old.id, { gracePeriodSeconds: 3600 });
    expect(warningsOf(old.id)).toEqual([]);
    expect(warningsOf(rotated.id)).toEqual([]);
    await commands.update('acme', rotated.id, { expiresAt: clock.iso(DAY) });
    expect(warningsOf(rotated.id)).toHaveLength(1);
    // Its grace period is the old key's expiry now, and not one it is warned of.
    expect(store.all('acme').find((key) => key.keyId === old.id)?.expiresAt).toBe(clock.iso(3600_000));
    const again = await commands.rotate('acme', rotated.id, {});
    expect(warningsOf(again.id)).toHaveLength(1);
    expect(
      store
        .all('acme')
        .find((key) => key.keyId === again.id)
        ?.auditRecords?.map((record) => record.action),
    ).toEqual(['key.rotated', 'key.expiring']);
  });

  it("a rotation's replacement that expires beyond the window has its warning scheduled, and written when it runs", async () => {
    const { clock, warnings, commands, runScheduled, warningsOf } = setup();
    const expiresAt = clock.iso(30 * DAY);
    const old = await commands.create('acme', { name: 'k', expiresAt });
    const rotated = await commands.rotate('acme', old.id, { gracePeriodSeconds: 3600 });
    expect(rotated.expiresAt).toBe(expiresAt);
    expect(warnings.scheduled.get(rotated.id)).toEqual({ tenantId: 'acme', expiresAt, at: clock.iso(23 * DAY) });
    clock.advance(23 * DAY);
    await runScheduled(rotated.id);
    expect(warningsOf(rotated.id)).toHaveLength(1);
    // The old key's schedule, left on its own expiry, finds it in its grace period: nothing.
    await runScheduled(old.id);
    expect(warningsOf(old.id)).toEqual([]);
  });

  it('without expiry warnings (a service built without them), nothing is warned or scheduled', async () => {
    const { clock, warnings, commands, warningsOf } = setup([], { warnings: false });
    const created = await commands.create('acme', { name: 'k', expiresAt: clock.iso(DAY) });
    expect(warningsOf(created.id)).toEqual([]);
    expect(warnings.scheduled.size).toBe(0);
  });
});

describe('a scheduled warning, when it runs', () => {
  async function scheduled() {
    const context = setup();
    const created = await context.commands.create('acme', { name: 'k', expiresAt: context.clock.iso(30 * DAY) });
    context.clock.advance(23 * DAY);
    return { ...context, keyId: created.id };
  }

  it.each([
    ['disabled', (c: Awaited<ReturnType<typeof scheduled>>) => c.commands.update('acme', c.keyId, { enabled: false })],
    ['revoked', (c: Awaited<ReturnType<typeof scheduled>>) => c.commands.revoke('acme', c.keyId)],
    [
      'rotated (in its grace period)',
      (c: Awaited<ReturnType<typeof scheduled>>) => c.commands.rotate('acme', c.keyId, { gracePeriodSeconds: 604_800 }),
    ],
    ['deleted', (c: Awaited<ReturnType<typeof scheduled>>) => c.commands.delete('acme', c.keyId)],
    ['given no expiry', (c: Awaited<ReturnType<typeof scheduled>>) => c.commands.update('acme', c.keyId, { expiresAt: null })],
  ])('writes nothing for a key %s since', async (_state, change) => {
    const context = await scheduled();
    const { runScheduled, warningsOf, keyId, warnings } = context;
    const due = warnings.scheduled.get(keyId);
    await change(context);
    if (due) warnings.scheduled.set(keyId, due);
    await runScheduled(keyId).catch((error: Error) => expect(error.name).toBe('KeyNotFoundError'));
    expect(warningsOf(keyId)).toEqual([]);
  });

  it('writes nothing for an expiry moved since, and schedules the new one again, in case an older change moved it back', async () => {
    const { clock, commands, runScheduled, warningsOf, keyId, warnings } = await scheduled();
    const due = warnings.scheduled.get(keyId);
    const later = clock.iso(60 * DAY);
    await commands.update('acme', keyId, { expiresAt: later });
    // Changes racing each other: the older expiry's schedule was written last, over the new one's.
    warnings.scheduled.set(keyId, due as NonNullable<typeof due>);
    await runScheduled(keyId);
    expect(warningsOf(keyId)).toEqual([]);
    expect(warnings.scheduled.get(keyId)).toEqual({ tenantId: 'acme', expiresAt: later, at: clock.iso(53 * DAY) });
    clock.advance(53 * DAY);
    await runScheduled(keyId);
    expect(warningsOf(keyId).map((record) => record.changes.expiresAt.new)).toEqual([later]);
  });

  it('warns at once, late, of an expiry moved since whose warning is overdue (the schedule was left on a later one)', async () => {
    const { clock, commands, runScheduled, warningsOf, keyId, warnings } = await scheduled();
    await commands.update('acme', keyId, { expiresAt: clock.iso(60 * DAY) });
    const stale = warnings.scheduled.get(keyId);
    const near = clock.iso(55 * DAY);
    await commands.update('acme', keyId, { expiresAt: near });
    warnings.scheduled.set(keyId, stale as NonNullable<typeof stale>);
    clock.advance(53 * DAY);
    await runScheduled(keyId);
    expect(warningsOf(keyId).map((record) => record.changes.expiresAt.new)).toEqual([near]);
  });

  it('and a change racing it to the same warning: the store lets one through, the other is told the key changed', async () => {
    const record = keyRecord({ tenantId: 'acme', expiresAt: '2026-11-28T12:00:00.000Z' });
    const { store, clock } = setup([record]);
    const warning = expiryWarningOf(record, record.expiresAt as string, clock.now());
    await expect(store.warnOfExpiry(record, warning)).resolves.toBe(true);
    await expect(store.warnOfExpiry(record, warning)).resolves.toBe(false);
    await expect(store.update(record, { name: 'x' }, undefined, undefined, warning)).rejects.toBeInstanceOf(
      ConcurrentChangeError,
    );
    expect(store.items.get(record.keyHash)?.auditRecords).toHaveLength(1);
  });
});
