import { type IssuedApiKey, toApiKey } from '../api-key';
import { auditRecordOf, changedFields } from '../audit';
import { assertGrantable, assertWithinCallerLife, expiryOf } from '../caller';
import type { CreateKeyInput } from '../validation';
import type { KeyCommand, NewKey } from './change-plan';
import { AUDITED_FIELDS, assertInFuture, auditedState } from './key-state';

/**
 * POST …/keys: a new key of the tenant, live at once. A caller that expires makes
 * keys that expire with it at the latest; asking for later, or for none, is refused.
 */
export const createKey: KeyCommand<CreateKeyInput, IssuedApiKey> = {
  target: 'tenant',
  issuesKeys: 'create',

  decide(tenantId, input, { caller, now, newKeyId, request }) {
    assertGrantable(input.scopes ?? [], caller);
    assertInFuture(input.expiresAt, now);
    const expiresAt = input.expiresAt === undefined ? expiryOf(caller) : (input.expiresAt ?? undefined);
    assertWithinCallerLife(expiresAt, caller, 'expiresAt');
    const key: NewKey = {
      keyId: newKeyId,
      tenantId,
      name: input.name,
      scopes: input.scopes ?? [],
      enabled: true,
      createdAt: now.toISOString(),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(input.meta === undefined || Object.keys(input.meta).length === 0 ? {} : { meta: input.meta }),
    };
    const record = auditRecordOf({
      tenantId,
      keyId: key.keyId,
      keyName: key.name,
      action: 'key.created',
      changes: changedFields({}, auditedState(key), AUDITED_FIELDS),
      caller,
      at: now,
    });
    return { writes: [{ kind: 'issue', key, record, pending: false, request }] };
  },

  answer({ issued }, { now }) {
    if (!issued) throw new Error('A create issues a key');
    return { ...toApiKey(issued.record, now), key: issued.secret };
  },
};
