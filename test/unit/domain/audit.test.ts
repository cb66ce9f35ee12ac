import type { KeyRecord } from '../../../src/domain/api-key';
import { type AuditRecord, auditRecordOf } from '../../../src/domain/audit';
import { AuditDelivery, newlyDeliverable, type Outbox } from '../../../src/domain/audit-delivery';
import type { Caller } from '../../../src/domain/caller';
import { ConcurrentChangeError } from '../../../src/domain/errors';
import { createKey } from '../../../src/domain/key-commands/create-key';
import { KeyService } from '../../../src/domain/key-service';
import { TenantService } from '../../../src/domain/tenants';
import { deliverWaiting } from '../../fixtures/audit-stream';
import { keyCommandsOf } from '../../fixtures/key-commands';
import { keyRecord } from '../../fixtures/keys';
import {
  FakeClock,
  MemoryAuditLog,
  MemoryIdempotencyRecords,
  MemoryKeyStore,
  RecordingAuditEvents,
  RecordingInvalidation,
} from '../../fixtures/memory-key-store';
import { INSTANT_USAGE_PLANS, MemoryTenantRecords } from '../../fixtures/memory-tenant-records';

/** The sweeper's minimum age, as docs/audit.md states it: a minute. */
const SWEEP_MIN_AGE_MS = 60_000;

const origin = { requestId: 'req-7', sourceIp: '192.0.2.1' };
const CALLERS: Record<string, { caller: Caller; actor: unknown }> = {
  iam: {
    caller: { kind: 'iam', arn: 'arn:aws:iam::123456789012:role/back-office', origin },
    actor: { type: 'iam', arn: 'arn:aws:iam::123456789012:role/back-office' },
  },
  key: {
    caller: {
      kind: 'key',
      keyId: 'key_01JD5Z0000000000000000CALL',
      keyName: 'Back office',
      scopes: ['orders:read', 'keys:manage'],
      origin,
    },
    actor: { type: 'key', keyId: 'key_01JD5Z0000000000000000CALL', keyName: 'Back office' },
  },
  user: {
    caller: { kind: 'user', subject: 'u-1', email: 'ann@acme.example', scopes: ['orders:read'], origin },
    actor: { type: 'user', sub: 'u-1', email: 'ann@acme.example' },
  },
};

function setup() {
  const clock = new FakeClock();
  const store = new MemoryKeyStore();
  const tenants = new MemoryTenantRecords();
  const log = new MemoryAuditLog();
  const events = new RecordingAuditEvents();
  const requests = new MemoryIdempotencyRecords();
  const delivery = new AuditDelivery({
    log,
    events,
    keys: store,
    tenants,
    requests,
    retentionSeconds: 86_400,
    now: clock.now,
  });
  const service = new KeyService({ store, invalidation: new RecordingInvalidation(), idempotency: requests, now: clock.now });
  /** What the tables' streams do once changes are written. */
  const stream = () => deliverWaiting(delivery, { keys: store, tenants });
  return { clock, store, tenants, log, events, requests, delivery, service, keys: keyCommandsOf(service), stream };
}

const waitingIn = (store: MemoryKeyStore) => [...store.items.values()].filter((item) => item.auditRecords);

describe.each(Object.entries(CALLERS))('the audit trail, by a %s caller', (_kind, { caller, actor }) => {
  it('records create, update, rotate and delete with who, what, the key by name and which request', async () => {
    const { keys, log, events, clock, store, stream } = setup();
    const created = await keys.create('acme', { name: 'CI', scopes: ['orders:read'] }, caller);
    clock.advance(1_000);
    await keys.update('acme', created.id, { name: 'CI 2', scopes: [] }, caller);
    clock.advance(1_000);
    const rotated = await keys.rotate('acme', created.id, {}, caller);
    clock.advance(1_000);
    await keys.delete('acme', rotated.id, caller);
    // Nothing is delivered before the changes answer: each record waits in its item.
    expect(log.all()).toEqual([]);
    await stream();

    const records = log.all();
    expect(records.map((record) => [record.action, record.keyId, record.keyName])).toEqual([
      ['key.deleted', rotated.id, 'CI 2'],
      ['key.rotated', created.id, 'CI 2'],
      ['key.updated', created.id, 'CI 2'],
      ['key.created', created.id, 'CI'],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({ tenantId: 'acme', actor, requestId: 'req-7', sourceIp: '192.0.2.1' });
      expect(record.id).toMatch(/^aud_[0-9A-Z]{26}$/);
    }
    expect(records[3].changes).toEqual({
      name: { old: null, new: 'CI' },
      scopes: { old: null, new: ['orders:read'] },
      enabled: { old: null, new: true },
    });
    expect(records[2].changes).toEqual({ name: { old: 'CI', new: 'CI 2' }, scopes: { old: ['orders:read'], new: [] } });
    expect(records[1].changes).toEqual({
      rotatedTo: { old: null, new: rotated.id },
      expiresAt: { old: null, new: clock.iso(-1_000) },
    });
    expect(records[0].changes).toEqual({ name: { old: 'CI 2', new: null } });
    // Published in the order they were made, whichever items they waited in.
    expect(events.published.map((record) => record.id)).toEqual(records.map((record) => record.id).reverse());
    expect(waitingIn(store)).toEqual([]);
    expect(log.records.get(records[3].id)?.expiresAt).toBe(Math.ceil(Date.parse(records[3].at) / 1000) + 86_400);
  });
});

describe('the audit trail', () => {
  it('records nothing for a change to nothing', async () => {
    const { keys, log, clock, stream } = setup();
    const created = await keys.create('acme', { name: 'same' }, CALLERS.iam.caller);
    clock.advance(1_000);
    await keys.update('acme', created.id, { name: 'same' }, CALLERS.iam.caller);
    await stream();
    expect(log.all().map((record) => record.action)).toEqual(['key.created']);
  });

  it('a change answers without waiting on delivery; a failed delivery leaves the record waiting, and the sweeper delivers it', async () => {
    const { keys, log, events, store, delivery, clock, stream } = setup();
    log.failNext = 1;
    const created = await keys.create('acme', { name: 'n' }, CALLERS.key.caller);
    expect(created.key).toBeDefined();
    await expect(stream()).resolves.toEqual([false]);
    expect(log.all()).toEqual([]);
    expect(waitingIn(store)).toHaveLength(1);
    // Too fresh for the sweeper: a delivery may still be under way.
    await expect(delivery.sweep()).resolves.toEqual({ delivered: 0, withdrawn: 0, failed: 0 });
    clock.advance(SWEEP_MIN_AGE_MS + 1);
    await expect(delivery.sweep()).resolves.toEqual({ delivered: 1, withdrawn: 0, failed: 0 });
    expect(log.all().map((record) => record.action)).toEqual(['key.created']);
    expect(events.published).toHaveLength(1);
    expect(waitingIn(store)).toEqual([]);
  });

  it('a change to a key with no room for its record delivers the waiting ones itself, then is written; a 409 when it cannot', async () => {
    const { store, log, events, delivery, clock } = setup();
    const withDelivery = keyCommandsOf(
      new KeyService({ store, invalidation: new RecordingInvalidation(), delivery, now: clock.now }),
    );
    const without = keyCommandsOf(new KeyService({ store, invalidation: new RecordingInvalidation(), now: clock.now }));
    const created = await without.create('acme', { name: 'n0' });
    // Delivery is behind: the key holds as many records as it may (MAX_WAITING_RECORDS, 10).
    for (let name = 1; name < 10; name++) {
      clock.advance(1_000);
      await without.update('acme', created.id, { name: `n${name}` });
    }
    expect(waitingIn(store)[0].auditRecords).toHaveLength(10);
    await expect(without.update('acme', created.id, { name: 'refused' })).rejects.toBeInstanceOf(ConcurrentChangeError);
    await expect(without.delete('acme', created.id)).rejects.toBeInstanceOf(ConcurrentChangeError);

    // Delivery fails too: still a 409, and nothing is lost or written.
    log.failNext = 1;
    await expect(withDelivery.update('acme', created.id, { name: 'refused' })).rejects.toBeInstanceOf(ConcurrentChangeError);
    expect(waitingIn(store)[0]).toMatchObject({ name: 'n9' });
    expect(waitingIn(store)[0].auditRecords).toHaveLength(10);

    clock.advance(1_000);
    await expect(withDelivery.update('acme', created.id, { name: 'n10' })).resolves.toMatchObject({ name: 'n10' });
    expect(
      log
        .all()
        .map((record) => record.changes.name?.new)
        .reverse(),
    ).toEqual(['n0', ...Array.from({ length: 9 }, (_, name) => `n${name + 1}`)]);
    expect(events.published).toHaveLength(10);
    expect(waitingIn(store)[0].auditRecords?.map((record) => record.changes.name?.new)).toEqual(['n10']);
  });

  it('a delete that finds no room delivers the waiting records too, and is written', async () => {
    const { store, log, delivery, clock } = setup();
    const withDelivery = keyCommandsOf(
      new KeyService({ store, invalidation: new RecordingInvalidation(), delivery, now: clock.now }),
    );
    const created = await withDelivery.create('acme', { name: 'n0' });
    for (let name = 1; name < 10; name++) await withDelivery.update('acme', created.id, { name: `n${name}` });
    await withDelivery.delete('acme', created.id);
    expect(log.all()).toHaveLength(10);
    expect(waitingIn(store)[0]).toMatchObject({
      deleted: true,
      auditRecords: [expect.objectContaining({ action: 'key.deleted' })],
    });
  });

  it('keeps a record waiting until it is published too, and a second sweep publishes it', async () => {
    const { keys, events, delivery, clock } = setup();
    events.failNext = 1;
    await keys.create('acme', { name: 'n' }, CALLERS.user.caller);
    clock.advance(SWEEP_MIN_AGE_MS + 1);
    await expect(delivery.sweep()).resolves.toEqual({ delivered: 0, withdrawn: 0, failed: 1 });
    await expect(delivery.sweep()).resolves.toEqual({ delivered: 1, withdrawn: 0, failed: 0 });
    expect(events.published.map((record) => record.action)).toEqual(['key.created']);
  });

  it('a change made while earlier records wait adds its own: none is written over, all are delivered in order', async () => {
    const { keys, log, store, stream } = setup();
    const created = await keys.create('acme', { name: 'a' }, CALLERS.iam.caller);
    await keys.update('acme', created.id, { name: 'b' }, CALLERS.iam.caller);
    await keys.update('acme', created.id, { name: 'c' }, CALLERS.iam.caller);
    expect(waitingIn(store)[0].auditRecords?.map((record) => record.action)).toEqual([
      'key.created',
      'key.updated',
      'key.updated',
    ]);
    await stream();
    expect(log.all().map((record) => record.changes.name)).toEqual([
      { old: 'b', new: 'c' },
      { old: 'a', new: 'b' },
      { old: null, new: 'a' },
    ]);
  });

  it('a rotation that fails after retiring the old key records nothing: its record goes with the replacement', async () => {
    const { keys, store, log, clock, stream } = setup();
    const created = await keys.create('acme', { name: 'n' }, CALLERS.iam.caller);
    clock.advance(1_000);
    jest.spyOn(store, 'activate').mockRejectedValueOnce(new Error('the store failed'));
    await expect(keys.rotate('acme', created.id, {}, CALLERS.iam.caller)).rejects.toThrow('the store failed');
    await stream();
    expect(log.all().map((record) => record.action)).toEqual(['key.created']);
    expect(waitingIn(store)).toEqual([]);
  });

  it("a key's first delivery completes the idempotent request that issued it", async () => {
    const { service, requests, stream } = setup();
    const first = await service.issue(
      createKey,
      { tenantId: 'acme', input: { name: 'n' }, caller: CALLERS.iam.caller },
      'order-1',
    );
    expect([...requests.records.values()][0]).toMatchObject({ done: false, keyId: first.key.id });
    await stream();
    expect([...requests.records.values()][0]).toMatchObject({ done: true, keyId: first.key.id });
  });

  it("records a tenant's plan change, without a key name, and delivers and sweeps it as a key's", async () => {
    const { tenants, log, events, delivery, clock } = setup();
    const plans = new TenantService({
      records: tenants,
      gateway: INSTANT_USAGE_PLANS,
      plans: { default: 'free', names: ['free', 'pro'] },
      now: clock.now,
    });
    events.failNext = 1;
    await plans.setPlan('acme', { plan: 'pro' }, CALLERS.iam.caller);
    await expect(deliverWaiting(delivery, { tenants })).resolves.toEqual([false]);
    clock.advance(SWEEP_MIN_AGE_MS + 1);
    await expect(delivery.sweep()).resolves.toEqual({ delivered: 1, withdrawn: 0, failed: 0 });
    expect(log.all()).toEqual([
      expect.objectContaining({
        action: 'tenant.updated',
        keyId: null,
        keyName: null,
        changes: { plan: { old: 'free', new: 'pro' } },
      }),
    ]);
    expect(await tenants.waitingRecords('acme')).toEqual([]);
  });

  it('validates its retention', () => {
    const { store, tenants } = setup();
    const ports = {
      log: new MemoryAuditLog(),
      events: new RecordingAuditEvents(),
      keys: store,
      tenants,
      requests: new MemoryIdempotencyRecords(),
    };
    expect(() => new AuditDelivery({ ...ports, retentionSeconds: 0 })).toThrow('positive whole number');
    expect(() => new AuditDelivery({ ...ports, retentionSeconds: 1.5 })).toThrow('positive whole number');
  });
});

describe('what a write makes deliverable', () => {
  const record = (id: string): AuditRecord =>
    auditRecordOf({
      tenantId: 'acme',
      keyId: null,
      keyName: null,
      action: 'tenant.updated',
      changes: { id: { old: null, new: id } },
      caller: CALLERS.iam.caller,
      at: new Date('2026-01-01T00:00:00.000Z'),
    });
  const [a, b] = [record('a'), record('b')];
  const key = (fields: Partial<KeyRecord>): Outbox => ({ kind: 'key', item: { ...keyRecord({ tenantId: 'acme' }), ...fields } });

  it('the records it added; every record of an item that has just gone live; none while it is pending', () => {
    expect(newlyDeliverable(undefined, key({ auditRecords: [a] }))).toEqual([a]);
    expect(newlyDeliverable(key({ auditRecords: [a] }), key({ auditRecords: [a, b] }))).toEqual([b]);
    expect(newlyDeliverable(key({ auditRecords: [a, b] }), key({ auditRecords: [b] }))).toEqual([]);
    expect(newlyDeliverable(undefined, key({ auditRecords: [a], pending: true }))).toEqual([]);
    expect(newlyDeliverable(key({ auditRecords: [a], pending: true }), key({ auditRecords: [a] }))).toEqual([a]);
  });
});

describe('the sweeper and a rotation that died', () => {
  it("delivers a dead rotation's record if the old key was retired to its replacement, and withdraws it otherwise", async () => {
    const { keys, store, log, delivery, clock, stream } = setup();
    const retired = await keys.create('acme', { name: 'retired' }, CALLERS.iam.caller);
    const restored = await keys.create('acme', { name: 'restored' }, CALLERS.iam.caller);
    await stream();
    clock.advance(1_000);
    // Both rotations die before their replacements go live, and neither is undone: one old key stays retired,
    // the other's retirement is undone by hand, as a restore that landed late would leave it.
    jest.spyOn(store, 'activate').mockRejectedValue(new Error('the process died'));
    jest.spyOn(store, 'restore').mockRejectedValue(new Error('the process died'));
    jest.spyOn(store, 'delete').mockRejectedValue(new Error('the process died'));
    await expect(keys.rotate('acme', retired.id, {}, CALLERS.iam.caller)).rejects.toThrow('the process died');
    await expect(keys.rotate('acme', restored.id, {}, CALLERS.iam.caller)).rejects.toThrow('the process died');
    jest.restoreAllMocks();
    const old = store.all().find((item) => item.keyId === restored.id) as KeyRecord;
    await store.restore(old, old.rotation as NonNullable<KeyRecord['rotation']>);

    await stream();
    expect(log.all()).toHaveLength(2);
    clock.advance(SWEEP_MIN_AGE_MS + 1);
    await expect(delivery.sweep()).resolves.toEqual({ delivered: 1, withdrawn: 1, failed: 0 });
    expect(log.all().map((record) => [record.action, record.keyId])).toEqual([
      ['key.rotated', retired.id],
      ['key.created', restored.id],
      ['key.created', retired.id],
    ]);
    expect(waitingIn(store)).toEqual([]);
  });
});
