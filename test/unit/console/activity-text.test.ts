import { type ActivityRecord, actionText, actorText, changesOf, keyText } from '../../../console/activity-text';
import type { ApiKey } from '../../../src/domain/api-key';
import { ACTING_KEY_ID, activityRecords, DELETED_KEY_ID, LONG_KEY_NAME } from '../../fixtures/activity-records';

const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const [updated, rotated, planChanged, deleted, created] = activityRecords(NOW);

const key = (id: string, name: string) => ({ id, name }) as ApiKey;

describe('the Activity view, from records that carry names', () => {
  it('names the key by its name at the time, even where the key now has another', () => {
    expect(keyText(updated, [key(updated.keyId!, 'Renamed since')])).toBe('Order reader');
    expect(keyText(rotated)).toBe(LONG_KEY_NAME);
  });

  it('names an acting key by its name', () => {
    expect(actorText(updated.actor)).toBe('Back office (API key)');
  });

  it("names no key for a change to the tenant's plan, and says what it changed", () => {
    expect(keyText(planChanged)).toBeUndefined();
    expect(actionText(planChanged)).toBe('Changed the plan');
    expect(changesOf(planChanged)).toEqual([{ field: 'plan', old: 'free', new: 'pro' }]);
    expect(actorText(planChanged.actor)).toBe('An administrator');
  });
});

describe('the Activity view, of leaked keys and expiry warnings', () => {
  it('says who ended a leaked key, and that a key is to expire', () => {
    expect(actorText({ type: 'holder' })).toBe("The key's holder");
    expect(actorText({ type: 'scanner', source: 'github', url: 'https://github.com/o/r' })).toBe('GitHub secret scanning');
    expect(actorText({ type: 'service' })).toBe('The service');
    expect(actionText({ action: 'key.revoked' })).toBe('Revoked');
    expect(actionText({ action: 'key.expiring' })).toBe('Expiring soon');
  });
});

describe('the Activity view, from older records that carry only ids', () => {
  it('names the key by its name now, else by a name the record changed, else by its id', () => {
    expect(keyText(created, [key(DELETED_KEY_ID, 'Still here')])).toBe('Still here');
    const renamed: ActivityRecord = { ...deleted, action: 'key.updated', changes: { name: { old: 'Before', new: 'After' } } };
    expect(keyText(renamed)).toBe('After');
    expect(keyText(deleted)).toBe(DELETED_KEY_ID);
  });

  it('names an acting key by its id', () => {
    expect(actorText(deleted.actor)).toBe(`API key ${ACTING_KEY_ID}`);
  });
});

describe('words for every action and actor', () => {
  it('says what happened, and passes through an action newer than the console', () => {
    expect([updated, rotated, deleted, created].map(actionText)).toEqual(['Changed', 'Rotated', 'Deleted', 'Created']);
    expect(actionText({ action: 'key.archived' as ActivityRecord['action'] })).toBe('key.archived');
  });

  it('names a user by e-mail, else by subject, and an actor newer than the console by its type', () => {
    expect(actorText({ type: 'user', sub: 'u-1', email: 'ada@acme.example' })).toBe('ada@acme.example');
    expect(actorText({ type: 'user', sub: 'u-1', email: '' })).toBe('u-1');
    expect(actorText({ type: 'robot' } as unknown as ActivityRecord['actor'])).toBe('robot');
  });

  it('lists the fields an update changed, and none for a create, rotate or delete', () => {
    expect(changesOf(updated)).toEqual([
      { field: 'expiresAt', old: null, new: '2099-12-31T23:59:59.000Z' },
      { field: 'scopes', old: ['orders:read'], new: [] },
    ]);
    for (const record of [rotated, deleted, created]) expect(changesOf(record)).toEqual([]);
  });
});
