import { AuditTrail } from '../../../src/domain/audit';
import { AuditSweeper, SWEEP_MIN_AGE_MS } from '../../../src/domain/audit-sweeper';
import type { Caller } from '../../../src/domain/caller';
import { KeyService } from '../../../src/domain/key-service';
import {
  FakeClock,
  MemoryAuditLog,
  MemoryKeyStore,
  RecordingAuditEvents,
  RecordingInvalidation,
} from '../../fixtures/memory-key-store';

const origin = { requestId: 'req-7', sourceIp: '192.0.2.1' };
const CALLERS: Record<string, { caller: Caller; actor: unknown }> = {
  iam: {
    caller: { kind: 'iam', arn: 'arn:aws:iam::123456789012:role/back-office', origin },
    actor: { type: 'iam', arn: 'arn:aws:iam::123456789012:role/back-office' },
  },
  key: {
    caller: { kind: 'key', keyId: 'key_01JD5Z0000000000000000CALL', scopes: ['orders:read', 'keys:manage'], origin },
    actor: { type: 'key', keyId: 'key_01JD5Z0000000000000000CALL' },
  },
  user: {
    caller: { kind: 'user', subject: 'u-1', email: 'ann@acme.example', scopes: ['orders:read'], origin },
    actor: { type: 'user', sub: 'u-1', email: 'ann@acme.example' },
  },
};

function setup() {
  const clock = new FakeClock();
  const store = new MemoryKeyStore();
  const log = new MemoryAuditLog();
  const events = new RecordingAuditEvents();
  const trail = new AuditTrail({ log, events, now: clock.now, retentionSeconds: 86_400 });
  const failures: unknown[] = [];
  const service = new KeyService({
    store,
    invalidation: new RecordingInvalidation(),
    audit: trail,
    onAuditDeliveryFailure: (error) => failures.push(error),
    now: clock.now,
  });
  return { clock, store, log, events, trail, service, failures };
}

describe.each(Object.entries(CALLERS))('the audit trail, by a %s caller', (_kind, { caller, actor }) => {
  it('records create, update, rotate and delete with who, what and which request', async () => {
    const { service, log, events, clock, store } = setup();
    const created = await service.create('acme', { name: 'CI', scopes: ['orders:read'] }, caller);
    clock.advance(1_000);
    await service.update('acme', created.id, { name: 'CI 2', scopes: [] }, caller);
    clock.advance(1_000);
    const rotated = await service.rotate('acme', created.id, {}, caller);
    clock.advance(1_000);
    await service.delete('acme', rotated.id, caller);

    const records = log.all();
    expect(records.map((record) => [record.action, record.keyId])).toEqual([
      ['key.deleted', rotated.id],
      ['key.rotated', created.id],
      ['key.updated', created.id],
      ['key.created', created.id],
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
    expect(events.published.map((record) => record.id)).toEqual(records.map((record) => record.id).reverse());
    expect([...store.items.values()].filter((item) => item.audit)).toEqual([]);
    expect(log.records.get(records[3].id)?.expiresAt).toBe(Math.ceil(Date.parse(records[3].at) / 1000) + 86_400);
  });
});

describe('the audit trail', () => {
  it('records nothing for a change to nothing', async () => {
    const { service, log, clock } = setup();
    const created = await service.create('acme', { name: 'same' }, CALLERS.iam.caller);
    clock.advance(1_000);
    await service.update('acme', created.id, { name: 'same' }, CALLERS.iam.caller);
    expect(log.all().map((record) => record.action)).toEqual(['key.created']);
  });

  it('refuses to make a change it cannot record: a recorded service needs the caller', async () => {
    const { service, store } = setup();
    await expect(service.create('acme', { name: 'n' })).rejects.toThrow('needs its caller');
    expect(store.items.size).toBe(0);
  });

  it('answers a committed change even when its delivery fails, and the sweeper delivers it later', async () => {
    const { service, log, events, store, trail, clock, failures } = setup();
    log.failNext = 1;
    const created = await service.create('acme', { name: 'n' }, CALLERS.key.caller);
    expect(created.key).toBeDefined();
    expect(failures).toHaveLength(1);
    expect(log.all()).toEqual([]);
    const sweeper = new AuditSweeper(store, trail, clock.now);
    await expect(sweeper.sweep()).resolves.toEqual({ delivered: 0, failed: 0 });
    clock.advance(SWEEP_MIN_AGE_MS + 1);
    await expect(sweeper.sweep()).resolves.toEqual({ delivered: 1, failed: 0 });
    expect(log.all().map((record) => record.action)).toEqual(['key.created']);
    expect(events.published).toHaveLength(1);
  });

  it('keeps a record pending until it is published too, and a second sweep publishes it', async () => {
    const { service, events, store, trail, clock } = setup();
    events.failNext = 2;
    await service.create('acme', { name: 'n' }, CALLERS.user.caller);
    clock.advance(SWEEP_MIN_AGE_MS + 1);
    const sweeper = new AuditSweeper(store, trail, clock.now);
    await expect(sweeper.sweep()).resolves.toEqual({ delivered: 0, failed: 1 });
    await expect(sweeper.sweep()).resolves.toEqual({ delivered: 1, failed: 0 });
    expect(events.published.map((record) => record.action)).toEqual(['key.created']);
  });

  it('a rotation that fails after retiring the old key withdraws its record with the retirement', async () => {
    const { service, store, log, clock } = setup();
    const created = await service.create('acme', { name: 'n' }, CALLERS.iam.caller);
    clock.advance(1_000);
    jest.spyOn(store, 'activate').mockRejectedValueOnce(new Error('the store failed'));
    await expect(service.rotate('acme', created.id, {}, CALLERS.iam.caller)).rejects.toThrow('the store failed');
    expect(log.all().map((record) => record.action)).toEqual(['key.created']);
    expect([...store.items.values()].filter((item) => item.audit)).toEqual([]);
  });

  it('validates its retention', () => {
    const ports = { log: new MemoryAuditLog(), events: new RecordingAuditEvents() };
    expect(() => new AuditTrail({ ...ports, retentionSeconds: 0 })).toThrow('positive whole number');
    expect(() => new AuditTrail({ ...ports, retentionSeconds: 1.5 })).toThrow('positive whole number');
  });
});

describe('a slow audit trail', () => {
  afterEach(() => jest.useRealTimers());

  it('never holds back a committed change: the answer comes after 3 s at most, and the delivery still finishes', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const { service, log, failures } = setup();
    let unblock!: () => void;
    const append = log.append.bind(log);
    jest.spyOn(log, 'append').mockImplementationOnce(async (record, expiresAt) => {
      await new Promise<void>((resolve) => (unblock = resolve));
      return append(record, expiresAt);
    });
    const answer = service.create('acme', { name: 'slow trail' }, CALLERS.iam.caller);
    await jest.advanceTimersByTimeAsync(3_000);
    await expect(answer).resolves.toMatchObject({ name: 'slow trail', key: expect.any(String) });
    expect(failures).toEqual([expect.objectContaining({ message: expect.stringContaining('within 3000 ms') })]);
    unblock();
    await jest.advanceTimersByTimeAsync(0);
    expect(log.all().map((record) => record.action)).toEqual(['key.created']);
  });
});
