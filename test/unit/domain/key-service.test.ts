import type { KeyRecord } from '../../../src/domain/api-key';
import { auditRecordOf } from '../../../src/domain/audit';
import { AuditDelivery } from '../../../src/domain/audit-delivery';
import { decodeCursor, encodeCursor } from '../../../src/domain/cursor';
import {
  ConcurrentChangeError,
  ConflictError,
  EscalationError,
  IdempotencyMismatchError,
  KeyNotFoundError,
  RequestInProgressError,
  StoreConflictError,
  StoreUnavailableError,
  ValidationError,
} from '../../../src/domain/errors';
import { ChangeExecutor } from '../../../src/domain/key-commands/change-executor';
import { parseKey } from '../../../src/domain/key-format';
import { KeyQueries } from '../../../src/domain/key-queries';
import { KeyService } from '../../../src/domain/key-service';
import { KeyVerifier } from '../../../src/domain/key-verification';
import { deliverWaiting } from '../../fixtures/audit-stream';
import { ADMIN, keyCommandsOf } from '../../fixtures/key-commands';
import { keyRecord, sha256Hex, testKey, testKeyId } from '../../fixtures/keys';
import {
  FakeClock,
  MemoryAuditLog,
  MemoryIdempotencyRecords,
  MemoryKeyStore,
  RecordingAuditEvents,
  RecordingInvalidation,
} from '../../fixtures/memory-key-store';
import { MemoryTenantRecords } from '../../fixtures/memory-tenant-records';

const KEY_ID = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;
/** The calling key of self-service requests. */
const CALLER = testKeyId(99_999);

function setup(records: KeyRecord[] = [], prefix?: string) {
  const store = new MemoryKeyStore(records);
  const clock = new FakeClock();
  const invalidation = new RecordingInvalidation();
  const service = keyCommandsOf(
    new KeyService({ store, invalidation, now: clock.now, ...(prefix ? { keyPrefix: prefix } : {}) }),
  );
  const queries = new KeyQueries(store, clock.now);
  const verifier = new KeyVerifier({ store, now: clock.now });
  /** The usable record for a key, as the authorizer would find it, or undefined. */
  const authenticate = async (key: string) => {
    const verification = await verifier.verify(key);
    return verification.outcome === 'valid' ? verification.key : undefined;
  };
  return { store, clock, service, queries, invalidation, authenticate };
}

/** A change's record, for a change the test makes to the store behind the service's back. */
const recordOf = (key: KeyRecord) =>
  auditRecordOf({
    tenantId: key.tenantId,
    keyId: key.keyId,
    keyName: key.name,
    action: 'key.updated',
    changes: {},
    caller: ADMIN,
    at: new Date(),
  });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function expectValidation(promise: Promise<unknown>, path: string) {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
}

describe('KeyService construction', () => {
  it('refuses an invalid prefix', () => {
    expect(
      () => new KeyService({ store: new MemoryKeyStore(), invalidation: new RecordingInvalidation(), keyPrefix: 'Bad-Prefix' }),
    ).toThrow(/prefix/);
  });

  it('defaults to prefix ak and the real clock', async () => {
    const store = new MemoryKeyStore();
    const before = Date.now();
    const issued = await keyCommandsOf(new KeyService({ store, invalidation: new RecordingInvalidation() })).create('acme', {
      name: 'n',
    });
    expect(issued.key).toMatch(/^ak_[0-9A-Za-z]{38}$/);
    expect(Date.parse(issued.createdAt)).toBeGreaterThanOrEqual(before);
  });
});

describe('create', () => {
  it('issues a key, stores only its hash, and returns the plaintext once', async () => {
    const { store, clock, service } = setup([], 'zk_live');
    const issued = await service.create('acme', { name: '  CI pipeline ', scopes: ['orders:read', 'orders:read'] });

    expect(issued.key).toMatch(/^zk_live_[0-9A-Za-z]{38}$/);
    expect(parseKey(issued.key)).toBeDefined();
    expect(issued).toMatchObject({
      tenantId: 'acme',
      name: 'CI pipeline',
      scopes: ['orders:read'],
      enabled: true,
      createdAt: clock.iso(),
      expiresAt: null,
      lastUsedAt: null,
      hint: `zk_live_\u2026${issued.key.slice(-4)}`,
    });
    expect(issued.id).toMatch(KEY_ID);

    const [stored] = store.all();
    expect(stored.keyHash).toBe(sha256Hex(issued.key));
    expect(stored.keyId).toBe(issued.id);
    expect(stored).not.toHaveProperty('expiresAt');
    expect(stored).not.toHaveProperty('ttl');
    expect(JSON.stringify(stored)).not.toContain(issued.key);
    expect(JSON.stringify(stored)).not.toContain(issued.key.slice(8, 40));
  });

  it('sets expiresAt and ttl together', async () => {
    const { store, service } = setup();
    const issued = await service.create('acme', { name: 'n', expiresAt: '2030-01-01T01:00:00+01:00' });
    expect(issued.expiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(store.all()[0]).toMatchObject({ expiresAt: '2030-01-01T00:00:00.000Z', ttl: 1893456000 });
  });

  it('requires expiresAt in the future', async () => {
    const { store, clock, service } = setup();
    await expectValidation(service.create('acme', { name: 'n', expiresAt: clock.iso() }), 'expiresAt');
    await expectValidation(service.create('acme', { name: 'n', expiresAt: clock.iso(-1000) }), 'expiresAt');
    expect(store.calls).toEqual([]);
    await expect(service.create('acme', { name: 'n', expiresAt: clock.iso(1000) })).resolves.toBeDefined();
  });

  it('validates tenant, name, scopes and unknown fields before touching the store', async () => {
    const { store, service } = setup();
    await expectValidation(service.create('bad tenant!', { name: 'n' }), 'tenantId');
    await expectValidation(service.create('acme', { name: ' ' }), 'name');
    await expectValidation(service.create('acme', { name: 'a\u0000b' }), 'name');
    await expectValidation(service.create('acme', { name: 'x'.repeat(101) }), 'name');
    await expectValidation(service.create('acme', { name: 'n', scopes: ['Bad'] }), 'scopes.0');
    await expectValidation(
      service.create('acme', { name: 'n', scopes: Array.from({ length: 21 }, (_, i) => `s${i}`) }),
      'scopes',
    );
    await expectValidation(service.create('acme', { name: 'n', admin: true }), '(body)');
    await expectValidation(service.create('acme', undefined), '(body)');
    expect(store.calls).toEqual([]);
  });

  it('issues ids that sort by creation time', async () => {
    const { clock, service } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await service.create('acme', { name: `k${i}` })).id);
      clock.advance(1000);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(5);
  });

  it('retries on a hash collision, then gives up', async () => {
    const { store, service } = setup();
    const create = jest.spyOn(store, 'create').mockRejectedValueOnce(new StoreConflictError());
    await expect(service.create('acme', { name: 'n' })).resolves.toBeDefined();
    expect(create).toHaveBeenCalledTimes(2);
    expect(create.mock.calls[0][0].keyHash).not.toBe(create.mock.calls[1][0].keyHash);

    create.mockReset();
    create.mockRejectedValue(new StoreConflictError());
    await expect(service.create('acme', { name: 'n' })).rejects.toBeInstanceOf(StoreConflictError);
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('does not retry other store failures', async () => {
    const { store, service } = setup();
    const create = jest.spyOn(store, 'create').mockRejectedValue(new StoreUnavailableError(1, true));
    await expect(service.create('acme', { name: 'n' })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('lets a self-service caller grant only scopes it holds', async () => {
    const { store, service } = setup();
    const caller = { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage', 'orders:read'] };
    await expect(service.create('acme', { name: 'n', scopes: ['orders:read'] }, caller)).resolves.toBeDefined();
    const error = await rejection(service.create('acme', { name: 'n', scopes: ['orders:read', 'orders:write'] }, caller));
    expect(error).toBeInstanceOf(EscalationError);
    expect((error as EscalationError).errors).toEqual([{ path: 'scopes.1', message: expect.stringContaining('orders:write') }]);
    expect(store.callsTo('create')).toHaveLength(1);
  });
});

describe('list', () => {
  async function seeded(count: number) {
    const ctx = setup();
    for (let i = 0; i < count; i++) {
      await ctx.service.create('acme', { name: `key ${i}` });
      ctx.clock.advance(1000);
    }
    await ctx.service.create('globex', { name: 'other tenant' });
    return ctx;
  }

  it('defaults to 20 per page, newest first, and pages with an opaque cursor', async () => {
    const { queries } = await seeded(45);
    const first = await queries.list('acme', {});
    expect(first.items).toHaveLength(20);
    expect(first.items[0].name).toBe('key 44');
    expect(first.nextCursor).toEqual(expect.any(String));

    const second = await queries.list('acme', { cursor: first.nextCursor! });
    const third = await queries.list('acme', { cursor: second.nextCursor! });
    expect(second.items[0].name).toBe('key 24');
    expect(third.items).toHaveLength(5);
    expect(third.nextCursor).toBeNull();

    const all = [...first.items, ...second.items, ...third.items];
    expect(new Set(all.map((k) => k.id)).size).toBe(45);
    expect(all.every((k) => k.tenantId === 'acme')).toBe(true);
    expect(all.map((k) => k.id)).toEqual([...all.map((k) => k.id)].sort().reverse());
    for (const item of all) expect(item).not.toHaveProperty('key');
  });

  it('honours limit 1..100', async () => {
    const { store, queries } = await seeded(3);
    expect((await queries.list('acme', { limit: '1' })).items).toHaveLength(1);
    expect((await queries.list('acme', { limit: '100' })).items).toHaveLength(3);
    expect(store.callsTo('list').map((c) => c.args[1])).toEqual([1, 100]);
    await expectValidation(queries.list('acme', { limit: '0' }), 'limit');
    await expectValidation(queries.list('acme', { limit: '101' }), 'limit');
    expect(store.callsTo('list')).toHaveLength(2);
  });

  it('has no next cursor when the page is exactly full', async () => {
    const { queries } = await seeded(20);
    expect((await queries.list('acme', {})).nextCursor).toBeNull();
  });

  it("rejects another tenant's cursor and tampered cursors without reading", async () => {
    const { store, queries } = await seeded(25);
    const { nextCursor } = await queries.list('acme', {});
    const before = store.calls.length;
    await expectValidation(queries.list('globex', { cursor: nextCursor! }), 'cursor');
    await expectValidation(queries.list('acme', { cursor: `${nextCursor}x` }), 'cursor');
    await expectValidation(queries.list('acme', { cursor: 'garbage' }), 'cursor');
    await expectValidation(queries.list('acme', { cursor: encodeCursor('globex', decodeCursor('acme', nextCursor!)) }), 'cursor');
    expect(store.calls.length).toBe(before);
  });

  it('rejects unknown query parameters and bad tenants', async () => {
    const { queries } = setup();
    await expectValidation(queries.list('acme', { sort: 'asc' }), 'query');
    await expectValidation(queries.list('-bad', {}), 'tenantId');
  });
});

describe('get / update / delete', () => {
  const record = keyRecord({ tenantId: 'acme', scopes: ['orders:read'] });
  const foreign = keyRecord({ tenantId: 'globex' });

  it('get returns the public resource', async () => {
    const { queries } = setup([record]);
    expect(await queries.get('acme', record.keyId)).toMatchObject({ id: record.keyId, hint: record.hint });
  });

  it("treats unknown keys, other tenants' keys and malformed ids alike: KeyNotFoundError", async () => {
    const { store, service, queries } = setup([record, foreign]);
    for (const run of [
      () => queries.get('acme', testKeyId()),
      () => queries.get('acme', foreign.keyId),
      () => service.update('acme', foreign.keyId, { enabled: false }),
      () => service.delete('acme', foreign.keyId),
      () => service.rotate('acme', foreign.keyId, {}),
    ]) {
      await expect(run()).rejects.toBeInstanceOf(KeyNotFoundError);
    }
    const reads = store.calls.length;
    for (const bad of ['', 'nope', 'key_short', record.keyId.toLowerCase(), `${record.keyId}X`, '../etc/passwd']) {
      await expect(queries.get('acme', bad)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(service.update('acme', bad, { enabled: false })).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(service.delete('acme', bad)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(service.rotate('acme', bad, {})).rejects.toBeInstanceOf(KeyNotFoundError);
    }
    expect(store.calls.length).toBe(reads);
    expect(store.all('globex')).toHaveLength(1);
    expect(store.all('globex')[0].enabled).toBe(true);
  });

  it('update applies changes, normalises dates, and can clear expiry', async () => {
    const { store, clock, service } = setup([record]);
    const updated = await service.update('acme', record.keyId, {
      name: ' Renamed ',
      scopes: ['a', 'a', 'b'],
      enabled: false,
      expiresAt: '2031-01-01T00:00:00Z',
    });
    expect(updated).toMatchObject({ name: 'Renamed', scopes: ['a', 'b'], enabled: false, expiresAt: '2031-01-01T00:00:00.000Z' });
    expect(store.all()[0].ttl).toBe(Math.ceil(Date.parse('2031-01-01T00:00:00Z') / 1000));

    const cleared = await service.update('acme', record.keyId, { expiresAt: null });
    expect(cleared.expiresAt).toBeNull();
    expect(store.all()[0]).not.toHaveProperty('ttl');

    await expectValidation(service.update('acme', record.keyId, { expiresAt: clock.iso(-1) }), 'expiresAt');
    await expectValidation(service.update('acme', record.keyId, {}), '(body)');
    await expectValidation(service.update('acme', record.keyId, { name: 'ok', colour: 'red' }), '(body)');
    await expectValidation(service.update('bad tenant', record.keyId, { name: 'ok' }), 'tenantId');
  });

  it('update by a self-service caller cannot widen scopes', async () => {
    const { store, service } = setup([record]);
    await expect(
      service.update(
        'acme',
        record.keyId,
        { scopes: ['admin'] },
        { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage'] },
      ),
    ).rejects.toBeInstanceOf(EscalationError);
    expect(store.callsTo('update')).toHaveLength(0);
    await expect(
      service.update(
        'acme',
        record.keyId,
        { enabled: false },
        { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage'] },
      ),
    ).resolves.toMatchObject({
      enabled: false,
    });
  });

  it('delete removes the key', async () => {
    const { store, service } = setup([record]);
    await service.delete('acme', record.keyId);
    expect(store.all()).toHaveLength(0);
    await expect(service.delete('acme', record.keyId)).rejects.toBeInstanceOf(KeyNotFoundError);
    await expectValidation(service.delete('bad tenant', record.keyId), 'tenantId');
  });
});

describe('update by a self-service caller', () => {
  const powerful = keyRecord({
    tenantId: 'acme',
    scopes: ['billing:admin'],
    enabled: false,
    expiresAt: '2026-11-26T12:30:00.000Z',
  });
  const manager = { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage'] };

  it('cannot re-enable, un-expire or extend a key whose scopes it lacks', async () => {
    for (const body of [{ enabled: true }, { expiresAt: null }, { expiresAt: '2026-11-27T00:00:00Z' }]) {
      const { store, service } = setup([powerful]);
      await expect(service.update('acme', powerful.keyId, body, manager)).rejects.toBeInstanceOf(EscalationError);
      expect(store.writes).toEqual([]);
    }
  });

  it('may still rename, disable or shorten it', async () => {
    for (const body of [{ name: 'Renamed' }, { enabled: false }, { expiresAt: '2026-11-26T12:10:00Z' }]) {
      const { service } = setup([powerful]);
      await expect(service.update('acme', powerful.keyId, body, manager)).resolves.toBeDefined();
    }
  });

  it('refuses, rather than revives, when an admin changes the key between its check and its write', async () => {
    const active = { ...powerful, enabled: true };
    const { store, service } = setup([active]);
    const findById = store.findById.bind(store);
    // The admin disables the key just after the self-service caller has read it as enabled.
    jest.spyOn(store, 'findById').mockImplementationOnce(async (tenant, id) => {
      const seen = await findById(tenant, id);
      await store.update(active, { enabled: false }, recordOf(active));
      return seen;
    });
    await expect(service.update('acme', active.keyId, { enabled: true, name: 'x' }, manager)).rejects.toBeInstanceOf(
      ConcurrentChangeError,
    );
    expect(store.all().find((r) => r.keyId === active.keyId)).toMatchObject({ enabled: false });
  });

  it('may re-enable a key whose scopes it holds', async () => {
    const { service } = setup([powerful]);
    await expect(
      service.update(
        'acme',
        powerful.keyId,
        { enabled: true },
        { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage', 'billing:admin'] },
      ),
    ).resolves.toMatchObject({ enabled: true });
  });
});

describe('rotate', () => {
  const oldKey = testKey();
  const oldRecord = keyRecord({ key: oldKey, tenantId: 'acme', name: 'Deploy bot', scopes: ['orders:read', 'keys:manage'] });
  const old = (): KeyRecord => ({ ...oldRecord, scopes: [...oldRecord.scopes] });

  it('issues a new key with the same name, scopes and state; the old one expires at once by default', async () => {
    const { store, clock, service, authenticate } = setup([old()]);
    const issued = await service.rotate('acme', old().keyId, {});
    expect(issued).toMatchObject({
      name: 'Deploy bot',
      scopes: ['orders:read', 'keys:manage'],
      enabled: true,
      rotatedFrom: old().keyId,
      tenantId: 'acme',
    });
    expect(issued.id).not.toBe(old().keyId);
    expect(issued.key).not.toBe(oldKey);
    expect(parseKey(issued.key)).toBeDefined();

    const oldNow = store.all().find((r) => r.keyId === old().keyId)!;
    expect(oldNow.expiresAt).toBe(clock.iso());
    expect(await authenticate(oldKey)).toBeUndefined();
    expect(await authenticate(issued.key)).toMatchObject({ keyId: issued.id });
  });

  it('keeps the old key working for the grace period, then not', async () => {
    const { store, clock, service, authenticate } = setup([old()]);
    const issued = await service.rotate('acme', old().keyId, { gracePeriodSeconds: 3600 });
    expect(store.all().find((r) => r.keyId === old().keyId)).toMatchObject({
      expiresAt: clock.iso(3600_000),
      ttl: Math.ceil((Date.parse(clock.iso()) + 3600_000) / 1000),
    });
    expect(issued.expiresAt).toBeNull();
    expect(await authenticate(oldKey)).toBeDefined();
    clock.advance(3600_000 - 1);
    expect(await authenticate(oldKey)).toBeDefined();
    clock.advance(1);
    expect(await authenticate(oldKey)).toBeUndefined();
    expect(await authenticate(issued.key)).toBeDefined();
  });

  it('accepts the bounds 0 and 604800 and an absent body', async () => {
    const { clock, service, store } = setup([old()]);
    await service.rotate('acme', old().keyId, { gracePeriodSeconds: 604_800 });
    expect(store.all().find((r) => r.keyId === old().keyId)!.expiresAt).toBe(clock.iso(604_800_000));
    const again = setup([old()]);
    await again.service.rotate('acme', old().keyId, undefined);
    expect(again.store.all().find((r) => r.keyId === old().keyId)!.expiresAt).toBe(again.clock.iso());
  });

  it('rejects grace periods out of range before reading or writing', async () => {
    const { store, service } = setup([old()]);
    for (const bad of [-1, 604_801, 0.5, '60']) {
      await expectValidation(service.rotate('acme', old().keyId, { gracePeriodSeconds: bad }), 'gracePeriodSeconds');
    }
    await expectValidation(service.rotate('acme', old().keyId, { grace: 1 }), '(body)');
    expect(store.calls).toEqual([]);
  });

  it('never extends an old key that already expires sooner, and the new key inherits a future expiry', async () => {
    const { store, clock, service } = setup([{ ...old(), expiresAt: '2026-11-26T12:10:00.000Z' }]);
    const issued = await service.rotate('acme', old().keyId, { gracePeriodSeconds: 3600 });
    expect(store.all().find((r) => r.keyId === old().keyId)!.expiresAt).toBe('2026-11-26T12:10:00.000Z');
    expect(issued.expiresAt).toBe('2026-11-26T12:10:00.000Z');
    expect(clock.iso()).toBe('2026-11-26T12:00:00.000Z');
  });

  it('carries a disabled state over to the new key', async () => {
    const { service, authenticate } = setup([{ ...old(), enabled: false }]);
    const issued = await service.rotate('acme', old().keyId, {});
    expect(issued.enabled).toBe(false);
    expect(await authenticate(issued.key)).toBeUndefined();
  });

  it('writes the replacement pending, retires the old key, and makes the replacement live last', async () => {
    const { store, service } = setup([old()]);
    await service.rotate('acme', old().keyId, { gracePeriodSeconds: 10 });
    expect(store.writes.map((c) => c.method)).toEqual(['create', 'retire', 'activate']);
    expect((store.writes[0].args[0] as KeyRecord).pending).toBe(true);
  });

  it('by a self-service caller, needs every scope of the old key', async () => {
    const { store, service } = setup([old()]);
    await expect(
      service.rotate(
        'acme',
        old().keyId,
        {},
        { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage'] },
      ),
    ).rejects.toBeInstanceOf(EscalationError);
    expect(store.writes).toEqual([]);
    await expect(
      service.rotate(
        'acme',
        old().keyId,
        {},
        { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage', 'orders:read'] },
      ),
    ).resolves.toBeDefined();
  });

  it('fails with KeyNotFoundError if the old key vanished mid-way, withdrawing the unseen new key', async () => {
    const { store, service } = setup([old()]);
    jest.spyOn(store, 'retire').mockResolvedValueOnce('gone');
    await expect(service.rotate('acme', old().keyId, {})).rejects.toBeInstanceOf(KeyNotFoundError);
    expect(store.all().map((r) => r.keyId)).toEqual([old().keyId]);
  });
});

describe('authorizer-cache invalidation', () => {
  const record = keyRecord({ tenantId: 'acme', scopes: ['orders:read', 'orders:write'] });

  it('create schedules a flush at the expiry, and nothing for a key without one', async () => {
    const { service, invalidation } = setup();
    const lasting = await service.create('acme', { name: 'n' });
    expect(invalidation.calls).toEqual([]);
    const expiring = await service.create('acme', { name: 'n', expiresAt: '2030-01-01T00:00:00Z' });
    expect(invalidation.calls).toEqual([{ flushAt: { keyId: expiring.id, at: '2030-01-01T00:00:00.000Z' } }]);
    expect(lasting.id).not.toBe(expiring.id);
  });

  it('update flushes only for changes that revoke or narrow access', async () => {
    for (const [body, flushes] of [
      [{ name: 'Renamed' }, 0],
      [{ scopes: ['orders:read', 'orders:write', 'extra'] }, 0],
      [{ scopes: ['orders:read', 'orders:write'] }, 0],
      [{ enabled: true }, 0],
      [{ scopes: ['orders:read'] }, 1],
      [{ scopes: [] }, 1],
      [{ enabled: false }, 1],
      [{ enabled: false, name: 'x' }, 1],
    ] as const) {
      const { service, invalidation } = setup([record]);
      await service.update('acme', record.keyId, body);
      expect({ body, flushes: invalidation.flushesNow }).toEqual({ body, flushes });
    }
  });

  it('judges narrowing by the state the write replaced, not by the earlier read', async () => {
    const { store, service, invalidation } = setup([record]);
    const findById = store.findById.bind(store);
    // An admin adds a scope just after this update has read the key.
    jest.spyOn(store, 'findById').mockImplementationOnce(async (tenant, id) => {
      const seen = await findById(tenant, id);
      await store.update(record, { scopes: [...record.scopes, 'billing:admin'] }, recordOf(record));
      return seen;
    });
    await service.update('acme', record.keyId, { scopes: record.scopes });
    expect(invalidation.flushesNow).toBe(1);
  });

  it('update schedules a flush at a new expiry, and flushes now when the expiry comes earlier (a narrowing)', async () => {
    const { service, invalidation } = setup([record]);
    await service.update('acme', record.keyId, { expiresAt: '2027-01-01T00:00:00Z' });
    expect(invalidation.calls).toEqual([
      { flushNow: true },
      { flushAt: { keyId: record.keyId, at: '2027-01-01T00:00:00.000Z' } },
    ]);
    await service.update('acme', record.keyId, { expiresAt: '2028-01-01T00:00:00Z' });
    expect(invalidation.calls.slice(2)).toEqual([{ flushAt: { keyId: record.keyId, at: '2028-01-01T00:00:00.000Z' } }]);
    await service.update('acme', record.keyId, { expiresAt: null });
    expect(invalidation.calls).toHaveLength(3);
  });

  it('delete flushes after the key is gone, and not for a key that was not there', async () => {
    const { store, service, invalidation } = setup([record]);
    await service.delete('acme', record.keyId);
    expect(invalidation.calls).toEqual([{ flushNow: true }]);
    expect(store.all()).toEqual([]);
    await expect(service.delete('acme', record.keyId)).rejects.toBeInstanceOf(KeyNotFoundError);
    expect(invalidation.calls).toHaveLength(1);
  });

  it('rotate schedules a flush when the old key stops, flushes now too if that is now, and schedules the new key expiry', async () => {
    const expiring = { ...record, expiresAt: '2027-06-01T00:00:00.000Z' };
    const now = setup([expiring]);
    const immediate = await now.service.rotate('acme', expiring.keyId, {});
    expect(now.invalidation.calls).toEqual([
      { flushNow: true },
      { flushAt: { keyId: expiring.keyId, at: now.clock.iso() } },
      { flushAt: { keyId: immediate.id, at: expiring.expiresAt } },
    ]);

    const later = setup([record]);
    await later.service.rotate('acme', record.keyId, { gracePeriodSeconds: 60 });
    expect(later.invalidation.calls).toEqual([{ flushAt: { keyId: record.keyId, at: later.clock.iso(60_000) } }]);
  });

  it('schedules no flush for a moment already past: the key is refused already', async () => {
    const { store, clock, invalidation } = setup([record]);
    const executor = new ChangeExecutor({ store, invalidation, keyPrefix: 'ak', now: clock.now });
    await executor.execute(
      {
        writes: [
          {
            kind: 'retire',
            key: record,
            rotation: { to: testKeyId(), previousExpiresAt: null },
            expiresAt: clock.iso(-1),
            condition: { unexpiredAt: clock.iso() },
          },
        ],
      },
      clock.now(),
    );
    expect(invalidation.calls).toEqual([{ flushNow: true }]);
  });

  it('no failed or refused operation invalidates anything', async () => {
    const { service, invalidation } = setup([record]);
    await expect(service.update('acme', record.keyId, { scopes: ['Bad'] })).rejects.toBeInstanceOf(ValidationError);
    await expect(service.delete('acme', testKeyId())).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(
      service.rotate('acme', record.keyId, {}, { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: [] }),
    ).rejects.toBeInstanceOf(EscalationError);
    expect(invalidation.calls).toEqual([]);
  });
});

describe('dates compare as instants (issue: a year-10000 expiry sorted before every normal date)', () => {
  it('refuses dates past the end of year 9999, and accepts the last instant of it', async () => {
    const { service } = setup();
    await expectValidation(service.create('acme', { name: 'n', expiresAt: '9999-12-31T23:59:59-05:00' }), 'expiresAt');
    await expect(service.create('acme', { name: 'n', expiresAt: '9999-12-31T23:59:59.999Z' })).resolves.toMatchObject({
      expiresAt: '9999-12-31T23:59:59.999Z',
    });
  });

  it('a key stored with such a date before the fix still rotates correctly: with no grace period the old key stops', async () => {
    const key = testKey();
    const legacy = keyRecord({ key, tenantId: 'acme', expiresAt: '+010000-01-01T04:59:59.000Z', ttl: 253402318799 });
    const { service, authenticate } = setup([legacy]);
    const replacement = await service.rotate('acme', legacy.keyId, {});
    expect(await authenticate(key)).toBeUndefined();
    expect(await authenticate(replacement.key)).toBeDefined();
  });
});

describe('a self-service caller cannot outlive, or let others outlive, its own expiry', () => {
  const callerExpiry = '2026-12-01T00:00:00.000Z';
  const caller = {
    kind: 'key' as const,
    keyId: CALLER,
    keyName: 'Manager',
    scopes: ['keys:manage', 'orders:read'],
    expiresAt: callerExpiry,
  };
  const escalation = async (promise: Promise<unknown>, path: string) => {
    const error = await rejection(promise);
    expect(error).toBeInstanceOf(EscalationError);
    expect((error as EscalationError).errors).toEqual([{ path, message: expect.stringContaining(callerExpiry) }]);
  };

  it('a key it creates expires with it at the latest; asking for later, or for none, is refused', async () => {
    const { store, service } = setup();
    await expect(service.create('acme', { name: 'n' }, caller)).resolves.toMatchObject({ expiresAt: callerExpiry });
    await expect(service.create('acme', { name: 'n', expiresAt: '2026-11-30T00:00:00Z' }, caller)).resolves.toMatchObject({
      expiresAt: '2026-11-30T00:00:00.000Z',
    });
    await escalation(service.create('acme', { name: 'n', expiresAt: '2026-12-02T00:00:00Z' }, caller), 'expiresAt');
    await escalation(service.create('acme', { name: 'n', expiresAt: null }, caller), 'expiresAt');
    expect(store.callsTo('create')).toHaveLength(2);
    // A caller without an expiry is not bound by one.
    await expect(
      service.create('acme', { name: 'n' }, { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage'] }),
    ).resolves.toMatchObject({
      expiresAt: null,
    });
  });

  it('cannot clear its own expiry, or extend any key past it, or revive one that would outlive it', async () => {
    const self = keyRecord({ tenantId: 'acme', scopes: caller.scopes, expiresAt: callerExpiry });
    const other = keyRecord({ tenantId: 'acme', scopes: ['orders:read'], expiresAt: '2026-11-30T00:00:00.000Z' });
    const dormant = keyRecord({ tenantId: 'acme', scopes: ['orders:read'], enabled: false });
    const { store, service } = setup([self, other, dormant]);
    await escalation(service.update('acme', self.keyId, { expiresAt: null }, caller), 'expiresAt');
    await escalation(service.update('acme', other.keyId, { expiresAt: '2026-12-05T00:00:00Z' }, caller), 'expiresAt');
    await escalation(service.update('acme', dormant.keyId, { enabled: true }, caller), 'enabled');
    expect(store.writes).toEqual([]);
    // Within its life, all of these are fine.
    await expect(service.update('acme', other.keyId, { expiresAt: '2026-11-30T12:00:00Z' }, caller)).resolves.toBeDefined();
    await expect(
      service.update('acme', dormant.keyId, { enabled: true, expiresAt: callerExpiry }, caller),
    ).resolves.toMatchObject({
      enabled: true,
    });
  });

  it('rotating gives a replacement that expires with the caller at the latest', async () => {
    const lasting = keyRecord({ tenantId: 'acme', scopes: ['orders:read'] });
    const { service } = setup([lasting]);
    await expect(service.rotate('acme', lasting.keyId, {}, caller)).resolves.toMatchObject({ expiresAt: callerExpiry });
  });
});

describe('rotation is safe and single', () => {
  const rotatable = () => keyRecord({ tenantId: 'acme', scopes: ['orders:read'] });
  const liveKeys = (store: MemoryKeyStore, now: Date) =>
    store.all('acme').filter((r) => r.enabled && !r.pending && !(r.expiresAt && Date.parse(r.expiresAt) <= now.getTime()));

  it('refuses an expired key with a conflict, issuing nothing', async () => {
    const expired = keyRecord({ tenantId: 'acme', expiresAt: '2026-11-26T11:00:00.000Z' });
    const { store, service } = setup([expired]);
    await expect(service.rotate('acme', expired.keyId, {})).rejects.toBeInstanceOf(ConflictError);
    expect(store.all()).toHaveLength(1);
  });

  it('refuses a key rotated already, so a grace period never holds three live keys', async () => {
    const old = rotatable();
    const { store, clock, service, queries } = setup([old]);
    const first = await service.rotate('acme', old.keyId, { gracePeriodSeconds: 3600 });
    await expect(service.rotate('acme', old.keyId, { gracePeriodSeconds: 3600 })).rejects.toBeInstanceOf(ConflictError);
    expect(
      liveKeys(store, clock.now())
        .map((r) => r.keyId)
        .sort(),
    ).toEqual([old.keyId, first.id].sort());
    expect(await queries.get('acme', old.keyId)).toMatchObject({ status: 'rotated', rotatedTo: first.id });
    expect(await queries.get('acme', first.id)).toMatchObject({ status: 'active', rotatedTo: null });
    // The replacement can be rotated in its turn.
    await expect(service.rotate('acme', first.id, {})).resolves.toBeDefined();
  });

  it('when retiring the old key fails, leaves no replacement and the old key as it was', async () => {
    const old = rotatable();
    const { store, clock, service } = setup([old]);
    jest.spyOn(store, 'retire').mockRejectedValueOnce(new StoreUnavailableError(1, true));
    await expect(service.rotate('acme', old.keyId, {})).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.all()).toEqual([old]);
    expect(liveKeys(store, clock.now())).toHaveLength(1);
  });

  it('when making the replacement live fails, undoes the retirement and leaves no replacement', async () => {
    const old = { ...rotatable(), expiresAt: '2027-01-01T00:00:00.000Z', ttl: 1798761600 };
    const { store, service } = setup([old]);
    jest.spyOn(store, 'activate').mockRejectedValueOnce(new StoreUnavailableError(1, true));
    await expect(service.rotate('acme', old.keyId, {})).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.all()).toEqual([old]);
  });

  it('an unfinished rotation that could not be undone is superseded by a retry, which leaves exactly one replacement', async () => {
    const old = rotatable();
    const { store, clock, service, authenticate } = setup([old]);
    jest.spyOn(store, 'activate').mockRejectedValueOnce(new StoreUnavailableError(1, true));
    jest.spyOn(store, 'restore').mockRejectedValueOnce(new StoreUnavailableError(1, true));
    jest.spyOn(store, 'delete').mockRejectedValueOnce(new StoreUnavailableError(1, true));
    await expect(service.rotate('acme', old.keyId, {})).rejects.toBeInstanceOf(StoreUnavailableError);
    // The old key is retired (no grace period), its replacement pending: nothing works, and nothing nobody holds works.
    expect(liveKeys(store, clock.now())).toEqual([]);
    const retry = await service.rotate('acme', old.keyId, {});
    expect(await authenticate(retry.key)).toMatchObject({ keyId: retry.id });
    expect(liveKeys(store, clock.now()).map((r) => r.keyId)).toEqual([retry.id]);
    expect(store.all().find((r) => r.keyId === old.keyId)?.rotation).toEqual({ to: retry.id, previousExpiresAt: null });
  });

  it('a rotation racing another on the same key is a conflict for one of them', async () => {
    const old = rotatable();
    const { store, service } = setup([old]);
    jest.spyOn(store, 'retire').mockResolvedValueOnce('changed');
    await expect(service.rotate('acme', old.keyId, {})).rejects.toBeInstanceOf(ConflictError);
    expect(store.all()).toEqual([old]);
  });
});

describe('idempotent create and rotate', () => {
  function idempotentSetup(records: KeyRecord[] = []) {
    const base = setup(records);
    const idempotency = new MemoryIdempotencyRecords();
    const service = keyCommandsOf(
      new KeyService({ store: base.store, invalidation: base.invalidation, idempotency, now: base.clock.now }),
    );
    // The delivery that follows each change, as the tables' streams drive it: it completes the request that issued a key.
    const delivery = new AuditDelivery({
      log: new MemoryAuditLog(),
      events: new RecordingAuditEvents(),
      keys: base.store,
      tenants: new MemoryTenantRecords(),
      requests: idempotency,
      retentionSeconds: 86_400,
    });
    return { ...base, service, idempotency, deliverWaiting: () => deliverWaiting(delivery, { keys: base.store }) };
  }

  it('a repeat of the same create answers the key it issued, without its secret, and issues nothing more', async () => {
    const { store, service } = idempotentSetup();
    const first = await service.createOnce('acme', { name: 'n' }, undefined, 'order-42');
    expect(first).toMatchObject({ replayed: false, key: { key: expect.any(String) } });
    const repeat = await service.createOnce('acme', { name: 'n' }, undefined, 'order-42');
    expect(repeat).toEqual({ replayed: true, key: expect.objectContaining({ id: first.key.id }) });
    expect(repeat.key).not.toHaveProperty('key');
    expect(store.all()).toHaveLength(1);
  });

  it('the same key with another body is a mismatch, and in another tenant or for another caller it is another request', async () => {
    const { store, service } = idempotentSetup();
    await service.createOnce('acme', { name: 'n' }, undefined, 'k');
    await expect(service.createOnce('acme', { name: 'other' }, undefined, 'k')).rejects.toBeInstanceOf(IdempotencyMismatchError);
    await service.createOnce('globex', { name: 'n' }, undefined, 'k');
    await service.createOnce('acme', { name: 'n' }, { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: [] }, 'k');
    expect(store.all()).toHaveLength(3);
  });

  it('an attempt that failed releases its claim: a retry at once takes it over, with the key id it named', async () => {
    const { store, service, idempotency } = idempotentSetup();
    jest.spyOn(store, 'create').mockRejectedValueOnce(new StoreUnavailableError(1, true));
    await expect(service.createOnce('acme', { name: 'n' }, undefined, 'k')).rejects.toBeInstanceOf(StoreUnavailableError);
    const planned = [...idempotency.records.values()][0].keyId;
    const retry = await service.createOnce('acme', { name: 'n' }, undefined, 'k');
    expect(retry).toMatchObject({ replayed: false, key: { id: planned, key: expect.any(String) } });
    expect(store.all()).toHaveLength(1);
  });

  it('a repeat of a rotation that was refused is refused the same way, not told to wait', async () => {
    const old = keyRecord({ tenantId: 'acme', scopes: ['orders:write'] });
    const { service } = idempotentSetup([old]);
    const caller = { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: ['keys:manage'] };
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(service.rotateOnce('acme', old.keyId, {}, caller, 'r')).rejects.toBeInstanceOf(EscalationError);
    }
  });

  it('a repeat while another attempt holds the claim is told to retry; one after its lease takes over', async () => {
    const { store, clock, service, idempotency, deliverWaiting } = idempotentSetup();
    // The process died mid-request: nothing released the claim.
    jest.spyOn(store, 'create').mockRejectedValueOnce(new Error('process died'));
    jest.spyOn(idempotency, 'release').mockRejectedValueOnce(new Error('process died'));
    await expect(service.createOnce('acme', { name: 'n' }, undefined, 'k')).rejects.toThrow('process died');
    await expect(service.createOnce('acme', { name: 'n' }, undefined, 'k')).rejects.toBeInstanceOf(RequestInProgressError);
    clock.advance(61_000);
    const resumed = await service.createOnce('acme', { name: 'n' }, undefined, 'k');
    expect(resumed.replayed).toBe(false);
    expect(store.all()).toHaveLength(1);
    await deliverWaiting();
    expect([...idempotency.records.values()][0]).toMatchObject({ done: true, keyId: resumed.key.id });
  });

  it('an attempt that issued its key and died before it recorded so is answered as a repeat', async () => {
    const { store, clock, service, idempotency } = idempotentSetup();
    jest.spyOn(idempotency, 'complete').mockRejectedValueOnce(new Error('process died'));
    const first = await service.createOnce('acme', { name: 'n' }, undefined, 'k');
    expect(first.replayed).toBe(false);
    clock.advance(61_000);
    const repeat = await service.createOnce('acme', { name: 'n' }, undefined, 'k');
    expect(repeat).toMatchObject({ replayed: true, key: { id: first.key.id } });
    expect(store.all()).toHaveLength(1);
  });

  it('a repeat after the key was deleted is a conflict', async () => {
    const { service } = idempotentSetup();
    const first = await service.createOnce('acme', { name: 'n' }, undefined, 'k');
    await service.delete('acme', first.key.id);
    await expect(service.createOnce('acme', { name: 'n' }, undefined, 'k')).rejects.toBeInstanceOf(ConflictError);
  });

  it('a repeat of the same rotation answers the replacement, and rotates nothing more', async () => {
    const old = keyRecord({ tenantId: 'acme' });
    const { store, service } = idempotentSetup([old]);
    const first = await service.rotateOnce('acme', old.keyId, { gracePeriodSeconds: 60 }, undefined, 'rotate-1');
    const repeat = await service.rotateOnce('acme', old.keyId, { gracePeriodSeconds: 60 }, undefined, 'rotate-1');
    expect(repeat).toEqual({ replayed: true, key: expect.objectContaining({ id: first.key.id, rotatedFrom: old.keyId }) });
    expect(repeat.key).not.toHaveProperty('key');
    expect(store.all()).toHaveLength(2);
  });

  it('refuses a malformed Idempotency-Key before anything is claimed', async () => {
    const { idempotency, service } = idempotentSetup();
    for (const bad of ['', 'has space', 'x'.repeat(256), 'ünïcode']) {
      await expectValidation(service.createOnce('acme', { name: 'n' }, undefined, bad), 'Idempotency-Key');
    }
    expect(idempotency.records.size).toBe(0);
  });
});

describe('key metadata', () => {
  const CALLER = 'key_01J0000000000000000000MGR1';

  it('is set on create, shown in ApiKey, kept by a rotation, replaced whole by PATCH and removed by {}', async () => {
    const { service, authenticate } = setup();
    const created = await service.create('acme', { name: 'n', meta: { plan: 'gold', region: 'eu' } });
    expect(created.meta).toEqual({ plan: 'gold', region: 'eu' });
    expect((await authenticate(created.key))?.meta).toEqual({ plan: 'gold', region: 'eu' });
    const rotated = await service.rotate('acme', created.id, {});
    expect(rotated.meta).toEqual({ plan: 'gold', region: 'eu' });
    expect((await service.update('acme', rotated.id, { meta: { plan: 'free' } })).meta).toEqual({ plan: 'free' });
    expect((await service.update('acme', rotated.id, { meta: {} })).meta).toEqual({});
    expect((await service.create('acme', { name: 'bare' })).meta).toEqual({});
  });

  it('may be set by a self-service caller, and changing it flushes nothing: it grants nothing', async () => {
    const { service, invalidation } = setup();
    const created = await service.create(
      'acme',
      { name: 'n' },
      { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: [] },
    );
    invalidation.calls.length = 0;
    await service.update(
      'acme',
      created.id,
      { meta: { team: 'billing' } },
      { kind: 'key' as const, keyId: CALLER, keyName: 'Manager', scopes: [] },
    );
    expect(invalidation.calls).toEqual([]);
  });

  it.each([
    ['a name starting with a digit', { '1st': 'x' }, 'meta.1st', 'starting with a letter'],
    ['a name over 32 characters', { [`a${'b'.repeat(32)}`]: 'x' }, `meta.a${'b'.repeat(32)}`, 'starting with a letter'],
    ['a name with a dash', { 'a-b': 'x' }, 'meta.a-b', 'starting with a letter'],
    ['a value over 256 characters', { a: 'x'.repeat(257) }, 'meta.a', 'at most 256'],
    ['a value that is not a string', { a: 1 }, 'meta.a', 'string'],
    ['more than 10 values', Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])), 'meta', 'at most 10'],
    ['not an object', ['a'], 'meta', 'record'],
  ])('refuses %s with 400 at its path', async (_, meta, path, message) => {
    const { service, store } = setup();
    const error = await service.create('acme', { name: 'n', meta }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ path, message: expect.stringContaining(message) }]);
    expect(store.all()).toEqual([]);
  });
});

describe('a console user', () => {
  const user = { kind: 'user' as const, subject: 'user-1', scopes: ['orders:read', 'orders:write'] };

  it('grants only the scopes console users may grant, and says so', async () => {
    const { store, service } = setup();
    await expect(service.create('acme', { name: 'n', scopes: ['orders:read'] }, user)).resolves.toMatchObject({
      scopes: ['orders:read'],
      expiresAt: null,
    });
    const error = await rejection(service.create('acme', { name: 'n', scopes: ['orders:read', 'keys:manage'] }, user));
    expect(error).toBeInstanceOf(EscalationError);
    expect((error as EscalationError).message).toContain('console users');
    expect((error as EscalationError).errors).toEqual([{ path: 'scopes.1', message: expect.stringContaining('keys:manage') }]);
    expect(store.callsTo('create')).toHaveLength(1);
  });

  it('holds no expiry of its own: what it makes may live as long as it asks', async () => {
    const { service } = setup();
    await expect(service.create('acme', { name: 'n', expiresAt: '2099-01-01T00:00:00Z' }, user)).resolves.toMatchObject({
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
  });

  it('may disable or delete any key of its tenant, but revive or rotate only keys within its grantable scopes', async () => {
    const powerful = keyRecord({ tenantId: 'acme', scopes: ['keys:manage'], enabled: false });
    const ordinary = keyRecord({ tenantId: 'acme', scopes: ['orders:read'] });
    const { service } = setup([powerful, ordinary]);
    await expect(service.update('acme', powerful.keyId, { enabled: true }, user)).rejects.toBeInstanceOf(EscalationError);
    await expect(service.rotate('acme', powerful.keyId, {}, user)).rejects.toBeInstanceOf(EscalationError);
    await expect(service.update('acme', ordinary.keyId, { enabled: false }, user)).resolves.toMatchObject({ status: 'disabled' });
    await expect(service.update('acme', ordinary.keyId, { enabled: true }, user)).resolves.toMatchObject({ status: 'active' });
    await expect(service.rotate('acme', ordinary.keyId, {}, user)).resolves.toMatchObject({ rotatedFrom: ordinary.keyId });
    await expect(service.delete('acme', powerful.keyId)).resolves.toBeUndefined();
  });

  it('has Idempotency-Keys of its own, apart from other users and from keys', async () => {
    const { store, invalidation, clock } = setup();
    const idempotency = new MemoryIdempotencyRecords();
    const service = keyCommandsOf(new KeyService({ store, invalidation, idempotency, now: clock.now }));
    const first = await service.createOnce('acme', { name: 'n' }, user, 'k');
    await expect(service.createOnce('acme', { name: 'n' }, user, 'k')).resolves.toMatchObject({ replayed: true });
    await service.createOnce('acme', { name: 'n' }, { ...user, subject: 'user-2' }, 'k');
    await service.createOnce('acme', { name: 'n' }, { kind: 'key', keyId: CALLER, keyName: 'Manager', scopes: [] }, 'k');
    expect(store.all().map((record) => record.keyId)).toContain(first.key.id);
    expect(store.all()).toHaveLength(3);
  });
});
