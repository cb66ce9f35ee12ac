/**
 * Revocation (DESIGN §17): one more key command, by id, by the secret, and in
 * batches (secret scanning); a revoked key is refused, and ended for good.
 */
import type { KeyRecord } from '../../../src/domain/api-key';
import type { AuditRecord } from '../../../src/domain/audit';
import type { Caller } from '../../../src/domain/caller';
import {
  BatchCutShortError,
  ConcurrentChangeError,
  ConflictError,
  StoreUnavailableError,
  ValidationError,
} from '../../../src/domain/errors';
import { revokeKey } from '../../../src/domain/key-commands/revoke-key';
import { hashKey } from '../../../src/domain/key-format';
import { KeyService } from '../../../src/domain/key-service';
import { MAX_WAITING_RECORDS } from '../../../src/domain/key-store';
import { KeyVerifier } from '../../../src/domain/key-verification';
import { parseRevocationRequest, revokeBySecret } from '../../../src/domain/leaked-keys';
import { ADMIN, keyCommandsOf } from '../../fixtures/key-commands';
import { auditRecord, keyRecord, testKey } from '../../fixtures/keys';
import { FakeClock, MemoryKeyStore, RecordingInvalidation } from '../../fixtures/memory-key-store';

const HOLDER: Caller & { kind: 'holder' } = { kind: 'holder', origin: { requestId: 'r-1', sourceIp: '203.0.113.7' } };

function setup(records: KeyRecord[] = []) {
  const store = new MemoryKeyStore(records);
  const clock = new FakeClock();
  const invalidation = new RecordingInvalidation();
  const service = new KeyService({ store, invalidation, now: clock.now });
  const commands = keyCommandsOf(service);
  const verifier = new KeyVerifier({ store, now: clock.now });
  return { store, clock, invalidation, service, commands, verifier };
}

/** The records waiting in a key: every change's, oldest first. */
const recordsOf = (store: MemoryKeyStore, record: KeyRecord) => store.items.get(record.keyHash)?.auditRecords ?? [];

describe('revoking a key by id', () => {
  it('disables it for good, says when and why, records it once and flushes the caches as a disable does', async () => {
    const key = testKey();
    const record = keyRecord({ key, tenantId: 'acme', scopes: ['orders:read'] });
    const { store, clock, invalidation, commands, verifier } = setup([record]);

    const revoked = await commands.revoke('acme', record.keyId);

    expect(revoked).toMatchObject({
      id: record.keyId,
      status: 'revoked',
      enabled: false,
      revokedAt: clock.iso(),
      revokedReason: 'leaked',
    });
    expect(await verifier.verify(key)).toEqual({ outcome: 'disabled' });
    expect(invalidation.flushesNow).toBe(1);
    expect(recordsOf(store, record)).toEqual([
      expect.objectContaining({
        action: 'key.revoked',
        actor: { type: 'iam', arn: (ADMIN as { arn: string }).arn },
        keyId: record.keyId,
        keyName: record.name,
        changes: {
          enabled: { old: true, new: false },
          revokedAt: { old: null, new: clock.iso() },
          revokedReason: { old: null, new: 'leaked' },
        },
      }),
    ]);
  });

  it('answers the key again, revoked as it was, when it is revoked already: no second record, no second flush', async () => {
    const record = keyRecord({ tenantId: 'acme' });
    const { store, clock, invalidation, commands } = setup([record]);
    const first = await commands.revoke('acme', record.keyId, { reason: 'unused' });
    clock.advance(60_000);

    await expect(commands.revoke('acme', record.keyId)).resolves.toEqual(first);
    expect(first.revokedReason).toBe('unused');
    expect(recordsOf(store, record)).toHaveLength(1);
    expect(invalidation.flushesNow).toBe(1);
  });

  it('flushes nothing for a key that was disabled already: no cached answer can allow it', async () => {
    const record = keyRecord({ tenantId: 'acme', enabled: false });
    const { store, invalidation, commands } = setup([record]);
    await commands.revoke('acme', record.keyId);
    expect(invalidation.flushesNow).toBe(0);
    expect(recordsOf(store, record)[0].changes).not.toHaveProperty('enabled');
  });

  it('refuses a reason it does not know, before reading', async () => {
    const record = keyRecord({ tenantId: 'acme' });
    const { store, commands } = setup([record]);
    await expect(commands.revoke('acme', record.keyId, { reason: 'bored' })).rejects.toBeInstanceOf(ValidationError);
    expect(store.calls).toEqual([]);
  });

  it('leaves a key revoked meanwhile as the other revocation left it, and answers it so', async () => {
    const record = keyRecord({ tenantId: 'acme' });
    const { store, commands, clock, invalidation } = setup([record]);
    const other = await commands.revoke('acme', record.keyId, {}, HOLDER);
    clock.advance(1_000);
    // This request read the key before the other revoked it.
    jest.spyOn(store, 'findById').mockResolvedValueOnce(record);
    await expect(commands.revoke('acme', record.keyId, { reason: 'unused' })).resolves.toEqual(other);
    expect(recordsOf(store, record)).toEqual([expect.objectContaining({ actor: { type: 'holder' } })]);
    expect(invalidation.flushesNow).toBe(1);
  });
});

describe('a revoked key is ended for good', () => {
  async function revokedKey() {
    const record = keyRecord({ tenantId: 'acme', scopes: ['orders:read'], expiresAt: '2027-01-01T00:00:00.000Z' });
    const context = setup([record]);
    await context.commands.revoke('acme', record.keyId);
    return { ...context, record };
  }

  it.each([
    ['enabled', { enabled: true }],
    ['scopes', { scopes: ['orders:write'] }],
    ['scopes', { scopes: [] }],
    ['expiresAt', { expiresAt: '2028-01-01T00:00:00Z' }],
    ['expiresAt', { expiresAt: null }],
  ])('cannot be %s again: 409, nothing written (%j)', async (field, body) => {
    const { store, commands, record } = await revokedKey();
    const writes = store.writes.length;
    const refusal = commands.update('acme', record.keyId, body);
    await expect(refusal).rejects.toBeInstanceOf(ConflictError);
    await expect(refusal).rejects.toThrow(`(${field})`);
    expect(store.writes).toHaveLength(writes);
  });

  it('may be renamed, given other meta, an earlier expiry, or the scopes and state it has', async () => {
    const { commands, record } = await revokedKey();
    await expect(
      commands.update('acme', record.keyId, {
        name: 'leaked in a gist',
        meta: { ticket: 'SEC-1' },
        expiresAt: '2026-12-24T00:00:00Z',
        scopes: ['orders:read'],
        enabled: false,
      }),
    ).resolves.toMatchObject({ name: 'leaked in a gist', status: 'revoked', expiresAt: '2026-12-24T00:00:00.000Z' });
  });

  it('cannot be rotated, and may be deleted', async () => {
    const { store, commands, record } = await revokedKey();
    await expect(commands.rotate('acme', record.keyId, {})).rejects.toThrow(/revoked/);
    expect(store.all('acme')).toHaveLength(1);
    await commands.delete('acme', record.keyId);
    expect(store.all('acme')).toHaveLength(0);
  });

  it('is refused by the verifier even were its item to say enabled', async () => {
    const key = testKey();
    const { verifier } = setup([keyRecord({ key, revokedAt: '2026-11-26T11:00:00.000Z', revokedReason: 'leaked' })]);
    expect(await verifier.verify(key)).toEqual({ outcome: 'disabled' });
  });

  it('an update decided before a revocation is refused at its write, not let through', async () => {
    const record = keyRecord({ tenantId: 'acme', enabled: false });
    const { store } = setup([record]);
    await store.revoke(record, { at: '2026-11-26T12:00:00.000Z', reason: 'leaked' }, revocationRecordOf(record));
    await expect(store.update(record, { enabled: true })).rejects.toBeInstanceOf(ConcurrentChangeError);
    expect(store.items.get(record.keyHash)).toMatchObject({ enabled: false, revokedAt: '2026-11-26T12:00:00.000Z' });
  });
});

/** A revocation's record, for a revocation the test writes to the store itself. */
function revocationRecordOf(record: KeyRecord): AuditRecord {
  return {
    id: 'aud_01JD5Z000000000000000000RV',
    tenantId: record.tenantId,
    at: '2026-11-26T12:00:00.000Z',
    actor: { type: 'holder' },
    action: 'key.revoked',
    keyId: record.keyId,
    keyName: record.name,
    changes: {},
    requestId: null,
    sourceIp: null,
  };
}

describe('revoking by the secret (POST /revoke)', () => {
  it('takes a key whose format and checksum are right; anything else is a 400, before any read', () => {
    const key = testKey();
    expect(parseRevocationRequest({ key })).toBe(key);
    const refused = (body: unknown) => {
      try {
        parseRevocationRequest(body);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).errors;
      }
      throw new Error('accepted');
    };
    expect(refused({ key: `${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}` })).toEqual([
      { path: 'key', message: 'is not a key: its format or checksum is wrong' },
    ]);
    expect(refused({ key: 'ak_short' })).toEqual([{ path: 'key', message: expect.stringContaining('format') }]);
    expect(refused({ key: 42 })).toEqual([{ path: 'key', message: 'must be a string' }]);
    expect(refused({ key, why: 'leaked' })).toEqual([{ path: '(body)', message: 'unknown field(s): why' }]);
    expect(refused([key])).toEqual([{ path: '(body)', message: 'must be a JSON object' }]);
  });

  it('revokes a live key as its holder, and answers exactly as for an unknown key, each after one read by hash', async () => {
    const key = testKey();
    const record = keyRecord({ key, tenantId: 'acme' });
    const { store, service, invalidation } = setup([record]);

    const accepted = await revokeBySecret(service, key, HOLDER);
    expect(accepted).toEqual({ status: 'accepted', detail: expect.stringContaining('If this is a key of this service') });
    expect(store.items.get(record.keyHash)).toMatchObject({ revokedReason: 'leaked', enabled: false });
    expect(recordsOf(store, record)).toEqual([
      expect.objectContaining({ action: 'key.revoked', actor: { type: 'holder' }, requestId: 'r-1', sourceIp: '203.0.113.7' }),
    ]);
    expect(invalidation.flushesNow).toBe(1);

    const reads = store.callsTo('findByHash').length;
    await expect(revokeBySecret(service, testKey(), HOLDER)).resolves.toEqual(accepted);
    await expect(revokeBySecret(service, key, HOLDER)).resolves.toEqual(accepted);
    expect(store.callsTo('findByHash').length - reads).toBe(2);
    expect(recordsOf(store, record)).toHaveLength(1);
    expect(invalidation.flushesNow).toBe(1);
  });

  it('answers the same 202 for a key deleted between its read and its revocation, and writes nothing', async () => {
    const key = testKey();
    const record = keyRecord({ key, tenantId: 'acme' });
    const { store, service, commands } = setup([record]);
    const accepted = await revokeBySecret(service, testKey(), HOLDER);
    jest.spyOn(store, 'findByHash').mockImplementationOnce(async () => {
      await commands.delete('acme', record.keyId);
      return record;
    });
    await expect(revokeBySecret(service, key, HOLDER)).resolves.toEqual(accepted);
    expect(store.items.get(record.keyHash)).toMatchObject({ deleted: true });
    expect(store.items.get(record.keyHash)).not.toHaveProperty('revokedAt');
  });

  it('revokes a key whose delivery of records is behind and stopped, and answers the same 202: it always has room', async () => {
    const key = testKey();
    const waiting = Array.from({ length: MAX_WAITING_RECORDS }, (_, minute) => auditRecord(null, 'key.updated', minute));
    const record = keyRecord({ key, tenantId: 'acme', auditRecords: waiting, auditPending: waiting[0].at });
    const { store, service, invalidation } = setup([record]);
    const accepted = await revokeBySecret(service, testKey(), HOLDER);
    // No delivery at all: nothing can make room.
    await expect(revokeBySecret(service, key, HOLDER)).resolves.toEqual(accepted);
    expect(store.items.get(record.keyHash)).toMatchObject({ enabled: false, revokedReason: 'leaked' });
    expect(recordsOf(store, record)).toHaveLength(MAX_WAITING_RECORDS + 1);
    expect(recordsOf(store, record).at(-1)).toMatchObject({ action: 'key.revoked', actor: { type: 'holder' } });
    expect(invalidation.flushesNow).toBe(1);
    // Any later change waits for room, as every change does.
    await expect(keyCommandsOf(service).update('acme', record.keyId, { name: 'leaked' })).rejects.toBeInstanceOf(
      ConcurrentChangeError,
    );
  });

  it('knows no pending replacement and no deleted key', async () => {
    const pendingKey = testKey();
    const deletedKey = testKey();
    const { store, service } = setup([
      keyRecord({ key: pendingKey, pending: true }),
      keyRecord({ key: deletedKey, deleted: true }),
    ]);
    const answers = await service.runOnSecrets(revokeKey, [
      { keyHash: hashKey(pendingKey), input: { reason: 'leaked' }, caller: HOLDER },
      { keyHash: hashKey(deletedKey), input: { reason: 'leaked' }, caller: HOLDER },
    ]);
    expect(answers).toEqual([undefined, undefined]);
    expect(store.callsTo('revoke')).toEqual([]);
  });
});

describe('revoking many keys at once (secret scanning)', () => {
  it('revokes each, answers each in order, and flushes the caches once for all', async () => {
    const keys = [testKey(), testKey(), testKey()];
    const { service, invalidation } = setup(keys.map((key) => keyRecord({ key, tenantId: 'acme' })));
    const unknown = testKey();
    const answers = await service.runOnSecrets(
      revokeKey,
      [...keys, unknown].map((key) => ({ keyHash: hashKey(key), input: { reason: 'leaked' as const }, caller: HOLDER })),
    );
    expect(answers.map((answer) => answer?.status)).toEqual(['revoked', 'revoked', 'revoked', undefined]);
    expect(invalidation.flushesNow).toBe(1);
  });

  it('stops taking keys once time runs short, lets those under way finish, flushes for them, then fails', async () => {
    const keys = Array.from({ length: 40 }, () => testKey());
    const { store, service, invalidation } = setup(keys.map((key) => keyRecord({ key, tenantId: 'acme' })));
    let startsLeft = 20;
    const batch = keys.map((key) => ({ keyHash: hashKey(key), input: { reason: 'leaked' as const }, caller: HOLDER }));
    const run = service.runOnSecrets(revokeKey, batch, { mayStart: () => startsLeft-- > 0 });
    await expect(run).rejects.toBeInstanceOf(BatchCutShortError);
    await expect(run).rejects.toMatchObject({ done: 20, total: 40 });
    const revoked = keys.filter((key) => store.items.get(hashKey(key))?.revokedAt !== undefined);
    expect(revoked).toEqual(keys.slice(0, 20));
    expect(invalidation.flushesNow).toBe(1);
  });

  it('when one fails, still revokes the others and flushes for them, then fails', async () => {
    const keys = [testKey(), testKey()];
    const { store, service, invalidation } = setup(keys.map((key) => keyRecord({ key, tenantId: 'acme' })));
    const findByHash = store.findByHash.bind(store);
    jest.spyOn(store, 'findByHash').mockImplementation(async (keyHash) => {
      if (keyHash === hashKey(keys[0])) throw new StoreUnavailableError(1, true);
      return findByHash(keyHash);
    });
    const batch = keys.map((key) => ({ keyHash: hashKey(key), input: { reason: 'leaked' as const }, caller: HOLDER }));
    await expect(service.runOnSecrets(revokeKey, batch)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.items.get(hashKey(keys[1]))?.revokedAt).toBeDefined();
    expect(invalidation.flushesNow).toBe(1);
  });
});
