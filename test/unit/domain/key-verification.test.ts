import { StoreUnavailableError } from '../../../src/domain/errors';
import { hashKey } from '../../../src/domain/key-format';
import { KeyVerifier } from '../../../src/domain/key-verification';

const A_MINUTE_MS = 60_000;

import { keyRecord, testKey } from '../../fixtures/keys';
import { FakeClock, MemoryKeyStore } from '../../fixtures/memory-key-store';

function setup(records = [keyRecord()]) {
  const store = new MemoryKeyStore(records);
  const clock = new FakeClock();
  return { store, clock, verifier: new KeyVerifier({ store, now: clock.now }) };
}

describe('verify', () => {
  const key = testKey();
  const record = keyRecord({ key });

  it('finds the usable record for a good key, with one read by hash', async () => {
    const { store, verifier } = setup([record]);
    expect(await verifier.verify(key)).toEqual({ outcome: 'valid', key: expect.objectContaining({ keyId: record.keyId }) });
    expect(store.calls).toEqual([{ method: 'findByHash', args: [hashKey(key)] }]);
  });

  it('tells missing and malformed keys apart, reading nothing for either', async () => {
    const { store, verifier } = setup([record]);
    const badChecksum = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    expect(await verifier.verify(undefined)).toEqual({ outcome: 'missing' });
    expect(await verifier.verify('')).toEqual({ outcome: 'missing' });
    for (const candidate of ['ak_', 'hello', key.slice(0, -1), `${key} `, key.toUpperCase(), badChecksum, `Bearer ${key}`]) {
      expect(await verifier.verify(candidate)).toEqual({ outcome: 'malformed' });
    }
    expect(store.calls).toEqual([]);
  });

  it('tells unknown, disabled and expired keys apart', async () => {
    const disabledKey = testKey();
    const expiredKey = testKey();
    const { clock, verifier } = setup([
      record,
      keyRecord({ key: disabledKey, enabled: false }),
      keyRecord({ key: expiredKey, expiresAt: '2026-11-26T12:00:00.000Z' }),
    ]);
    expect(clock.iso()).toBe('2026-11-26T12:00:00.000Z');
    expect(await verifier.verify(testKey())).toEqual({ outcome: 'unknown' });
    expect(await verifier.verify(disabledKey)).toEqual({ outcome: 'disabled' });
    expect(await verifier.verify(expiredKey)).toEqual({ outcome: 'expired' });
    expect((await verifier.verify(key)).outcome).toBe('valid');
  });

  it('propagates store failures (the authorizer fails closed on them)', async () => {
    const { store, verifier } = setup([record]);
    jest.spyOn(store, 'findByHash').mockRejectedValue(new StoreUnavailableError(1, true));
    await expect(verifier.verify(key)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('recordUse', () => {
  it('writes at most once per minute', async () => {
    const key = testKey();
    const { store, clock, verifier } = setup([keyRecord({ key })]);
    const use = async () => {
      const verification = await verifier.verify(key);
      if (verification.outcome !== 'valid') throw new Error('expected a valid key');
      await verifier.recordUse(verification.key);
    };

    await use();
    expect(store.callsTo('recordUse')).toHaveLength(1);
    expect(store.callsTo('recordUse')[0].args).toEqual([hashKey(key), clock.iso(), clock.iso(-A_MINUTE_MS)]);

    clock.advance(30_000);
    await use();
    clock.advance(29_999);
    await use();
    expect(store.callsTo('recordUse')).toHaveLength(1);

    clock.advance(2); // just over 60 s after the recorded use
    await use();
    expect(store.callsTo('recordUse')).toHaveLength(2);
    expect(store.all()[0].lastUsedAt).toBe(clock.iso());
  });

  it('writes when lastUsedAt is absent or older than 60 s, and not otherwise; isUseRecordDue agrees', async () => {
    const { store, clock, verifier } = setup([]);
    for (const [lastUsedAt, due] of [
      [undefined, true],
      [clock.iso(-61_000), true],
      [clock.iso(-59_000), false],
      [clock.iso(), false],
      // Exactly 60 s: no write the store's condition (`lastUsedAt < notBefore`) would refuse.
      [clock.iso(-A_MINUTE_MS), false],
    ] as const) {
      const record = keyRecord(lastUsedAt === undefined ? {} : { lastUsedAt });
      expect(verifier.isUseRecordDue(record)).toBe(due);
      const before = store.callsTo('recordUse').length;
      await verifier.recordUse(record);
      expect(store.callsTo('recordUse').length - before).toBe(due ? 1 : 0);
    }
  });
});
