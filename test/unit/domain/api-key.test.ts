import { isExpired, toApiKey, ttlFor } from '../../../src/domain/api-key';
import { keyRecord } from '../../fixtures/keys';

const now = new Date('2026-11-26T12:00:00.000Z');

describe('toApiKey', () => {
  it('shows the public fields only, with nulls for absent dates', () => {
    const record = keyRecord({ tenantId: 'acme', scopes: ['a', 'b'] });
    const api = toApiKey(record);
    expect(api).toEqual({
      id: record.keyId,
      tenantId: 'acme',
      name: record.name,
      hint: record.hint,
      scopes: ['a', 'b'],
      enabled: true,
      createdAt: record.createdAt,
      expiresAt: null,
      lastUsedAt: null,
    });
    expect(Object.keys(api)).not.toContain('keyHash');
    expect(JSON.stringify(api)).not.toContain(record.keyHash);
    expect(Object.keys(api)).not.toContain('ttl');
  });

  it('copies the scopes array', () => {
    const record = keyRecord();
    const api = toApiKey(record);
    api.scopes.push('x');
    expect(record.scopes).not.toContain('x');
  });

  it('passes dates through', () => {
    const api = toApiKey(
      keyRecord({ expiresAt: '2030-01-01T00:00:00.000Z', ttl: 1893456000, lastUsedAt: '2026-11-26T11:00:00.000Z' }),
    );
    expect(api.expiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(api.lastUsedAt).toBe('2026-11-26T11:00:00.000Z');
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
