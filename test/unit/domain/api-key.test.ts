import { isExpired, statusOf, toApiKey, ttlFor } from '../../../src/domain/api-key';
import { earliest, isLater } from '../../../src/domain/instants';
import { keyRecord } from '../../fixtures/keys';

const now = new Date('2026-11-26T12:00:00.000Z');

describe('toApiKey', () => {
  it('shows the public fields only, with nulls for absent dates', () => {
    const record = keyRecord({ tenantId: 'acme', scopes: ['a', 'b'] });
    const api = toApiKey(record, now);
    expect(api).toEqual({
      id: record.keyId,
      tenantId: 'acme',
      name: record.name,
      hint: record.hint,
      scopes: ['a', 'b'],
      enabled: true,
      status: 'active',
      createdAt: record.createdAt,
      expiresAt: null,
      lastUsedAt: null,
      rotatedTo: null,
      revokedAt: null,
      revokedReason: null,
      meta: {},
    });
    expect(Object.keys(api)).not.toContain('keyHash');
    expect(JSON.stringify(api)).not.toContain(record.keyHash);
    expect(Object.keys(api)).not.toContain('ttl');
  });

  it('copies the scopes array', () => {
    const record = keyRecord();
    const api = toApiKey(record, now);
    api.scopes.push('x');
    expect(record.scopes).not.toContain('x');
  });

  it('passes dates through', () => {
    const api = toApiKey(
      keyRecord({ expiresAt: '2030-01-01T00:00:00.000Z', ttl: 1893456000, lastUsedAt: '2026-11-26T11:00:00.000Z' }),
      now,
    );
    expect(api.expiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(api.lastUsedAt).toBe('2026-11-26T11:00:00.000Z');
  });
});

describe('status', () => {
  it('is revoked before everything: a revoked key is ended for good, and says why', () => {
    const revoked = { enabled: false, revokedAt: '2026-11-26T10:00:00.000Z', revokedReason: 'leaked' as const };
    expect(statusOf(keyRecord({ ...revoked, expiresAt: '2026-11-26T11:00:00.000Z' }), now)).toBe('revoked');
    expect(toApiKey(keyRecord(revoked), now)).toMatchObject({
      status: 'revoked',
      enabled: false,
      revokedAt: '2026-11-26T10:00:00.000Z',
      revokedReason: 'leaked',
    });
  });

  it('is expired before disabled before rotated before active', () => {
    const rotation = { to: 'key_01JD5Z000000000000000000ZZ', previousExpiresAt: null };
    const past = '2026-11-26T11:00:00.000Z';
    expect(statusOf(keyRecord({ enabled: false, expiresAt: past, rotation }), now)).toBe('expired');
    expect(statusOf(keyRecord({ enabled: false, rotation }), now)).toBe('disabled');
    expect(statusOf(keyRecord({ rotation, expiresAt: '2026-11-26T13:00:00.000Z' }), now)).toBe('rotated');
    expect(statusOf(keyRecord(), now)).toBe('active');
    expect(toApiKey(keyRecord({ rotation }), now).rotatedTo).toBe(rotation.to);
  });
});

describe('instants', () => {
  it('compare as instants, not as text, and an absent one is never', () => {
    // As text, "2030-01-01T01:00:00+01:00" sorts after "2030-01-01T00:30:00.000Z"; as instants it is earlier.
    expect(isLater('2030-01-01T00:30:00.000Z', '2030-01-01T01:00:00+01:00')).toBe(true);
    expect(earliest('2030-01-01T01:00:00+01:00', '2030-01-01T00:30:00.000Z')).toBe('2030-01-01T01:00:00+01:00');
    expect(earliest(undefined, '2030-01-01T00:00:00.000Z')).toBe('2030-01-01T00:00:00.000Z');
    expect(earliest(undefined, undefined)).toBeUndefined();
    expect(isLater(undefined, '2030-01-01T00:00:00.000Z')).toBe(true);
    expect(isLater('2030-01-01T00:00:00.000Z', undefined)).toBe(false);
    expect(isLater(undefined, undefined)).toBe(false);
  });
});

describe('expiry', () => {
  it('a key expires at expiresAt, not after', () => {
    expect(isExpired({}, now)).toBe(false);
    expect(isExpired({ expiresAt: '2026-11-26T12:00:00.001Z' }, now)).toBe(false);
    expect(isExpired({ expiresAt: '2026-11-26T12:00:00.000Z' }, now)).toBe(true);
    expect(isExpired({ expiresAt: '2026-11-26T11:59:59.999Z' }, now)).toBe(true);
  });

  it('ttl is epoch seconds, rounded up', () => {
    expect(ttlFor('2030-01-01T00:00:00.000Z')).toBe(1893456000);
    expect(ttlFor('2030-01-01T00:00:00.001Z')).toBe(1893456001);
  });
});
