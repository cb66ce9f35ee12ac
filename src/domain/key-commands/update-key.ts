import { type ApiKey, toApiKey } from '../api-key';
import { auditRecordOf, changedFields } from '../audit';
import { assertGrantable, assertWithinCallerLife, isRestricted } from '../caller';
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

/** PATCH …/keys/{keyId}: any of name, scopes, enabled, expiresAt, meta. A change to nothing records nothing. */
export const updateKey: KeyCommand<UpdateKeyInput, ApiKey> = {
  target: 'key',

  decide({ key }, input, { caller, now }) {
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
