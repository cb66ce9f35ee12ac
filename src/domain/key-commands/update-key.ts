import { type ApiKey, type KeyRecord, toApiKey } from '../api-key';
import { auditRecordOf, changedFields } from '../audit';
import { assertGrantable, assertWithinCallerLife, isRestricted } from '../caller';
import { ConflictError } from '../errors';
import { isLater } from '../instants';
import type { KeyStateGuard } from '../key-store';
import type { UpdateKeyInput } from '../validation';
import type { KeyCommand } from './change-plan';
import { AUDITED_FIELDS, assertInFuture, auditedState, withUpdate } from './key-state';

/** The field of a change that makes a key usable again or for longer, if any. */
function revivingField(
  existing: { enabled: boolean; expiresAt?: string },
  input: UpdateKeyInput,
): 'enabled' | 'expiresAt' | undefined {
  if (input.enabled === true && !existing.enabled) return 'enabled';
  if (existing.expiresAt === undefined || input.expiresAt === undefined) return undefined;
  return input.expiresAt === null || isLater(input.expiresAt, existing.expiresAt) ? 'expiresAt' : undefined;
}

/**
 * The field of a change that a revoked key may not take, if any: being enabled,
 * other scopes, or a later expiry (or none). Its name and metadata may change, and
 * its expiry come sooner.
 */
function refusedWhenRevoked(key: KeyRecord, input: UpdateKeyInput): 'enabled' | 'scopes' | 'expiresAt' | undefined {
  if (input.enabled === true) return 'enabled';
  if (
    input.scopes !== undefined &&
    (input.scopes.length !== key.scopes.length || input.scopes.some((s) => !key.scopes.includes(s)))
  )
    return 'scopes';
  if (input.expiresAt !== undefined && isLater(input.expiresAt ?? undefined, key.expiresAt)) return 'expiresAt';
  return undefined;
}

/**
 * PATCH …/keys/{keyId}: any of name, scopes, enabled, expiresAt, meta. A change to
 * nothing records nothing. A revoked key is ended for good: see refusedWhenRevoked.
 */
export const updateKey: KeyCommand<UpdateKeyInput, ApiKey> = {
  target: 'key',

  decide({ key }, input, { caller, now }) {
    const refused = key.revokedAt === undefined ? undefined : refusedWhenRevoked(key, input);
    if (refused) {
      throw new ConflictError(
        `The key has been revoked, for good: it cannot be enabled, re-scoped or given a later expiry (${refused}); its name and meta may change. Create a new key instead.`,
      );
    }
    assertGrantable(input.scopes ?? [], caller);
    assertInFuture(input.expiresAt, now);
    let guard: KeyStateGuard | undefined;
    if (isRestricted(caller) && (input.enabled === true || input.expiresAt !== undefined)) {
      // Reviving a key, or letting it live longer, hands its powers back: only a caller that holds them may.
      const field = revivingField(key, input);
      if (field) assertGrantable(key.scopes, caller, () => field);
      // Whatever the key is left with must end when the caller does.
      if (input.expiresAt !== undefined || (input.enabled === true && !key.enabled)) {
        const resulting = input.expiresAt === undefined ? key.expiresAt : (input.expiresAt ?? undefined);
        assertWithinCallerLife(resulting, caller, input.expiresAt === undefined ? 'enabled' : 'expiresAt');
      }
      // The decision holds only for the state just read: an admin's change in between wins.
      guard = { enabled: key.enabled, scopes: key.scopes, expiresAt: key.expiresAt ?? null };
    }
    const after = withUpdate(key, input);
    const changes = changedFields(auditedState(key), auditedState(after), AUDITED_FIELDS);
    // A change to nothing, as the key was read, leaves no record; it is written all the same, since the
    // key may have changed since it was read, and what it sets must hold (and flush, if it narrows).
    const record =
      Object.keys(changes).length === 0
        ? undefined
        : auditRecordOf({
            tenantId: key.tenantId,
            keyId: key.keyId,
            keyName: after.name,
            action: 'key.updated',
            changes,
            caller,
            at: now,
          });
    return { writes: [{ kind: 'update', key, update: input, ...(record ? { record } : {}), ...(guard ? { guard } : {}) }] };
  },

  answer({ change }, _state, { now }) {
    if (!change) throw new Error('An update writes the key');
    return toApiKey(change.after, now);
  },
};
