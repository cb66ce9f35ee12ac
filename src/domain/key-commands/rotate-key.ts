import { type IssuedApiKey, isExpired, type KeyRecord, toApiKey } from '../api-key';
import { auditRecordOf, changedFields } from '../audit';
import { assertGrantable, expiryOf } from '../caller';
import { ConflictError } from '../errors';
import { earliest } from '../instants';
import type { RotateKeyInput } from '../validation';
import type { KeyCommand, NewKey } from './change-plan';

/**
 * What a rotation does with each attribute of the old key for its replacement.
 * Every attribute of KeyRecord is decided here, or this does not compile: a new
 * attribute cannot be forgotten (or copied) by accident.
 */
const REPLACEMENT_GETS = {
  keyHash: 'its own',
  keyId: 'its own',
  tenantId: 'copied',
  name: 'copied',
  hint: 'its own',
  scopes: 'copied',
  enabled: 'copied',
  createdAt: 'its own',
  // Never outlives the old key, nor the caller.
  expiresAt: 'its own',
  ttl: 'its own',
  lastUsedAt: 'none',
  meta: 'copied',
  pending: 'its own',
  rotation: 'none',
  auditRecords: 'its own',
  auditPending: 'its own',
  idempotentRequest: 'its own',
  deleted: 'none',
  // A revoked key is never rotated; its replacement would not be revoked in any case.
  revokedAt: 'none',
  revokedReason: 'none',
  expiryWarnedFor: 'its own',
} as const satisfies Record<keyof KeyRecord, 'copied' | 'its own' | 'none'>;

type CopiedAttribute = {
  [A in keyof typeof REPLACEMENT_GETS]: (typeof REPLACEMENT_GETS)[A] extends 'copied' ? A : never;
}[keyof typeof REPLACEMENT_GETS];

const COPIED = (Object.keys(REPLACEMENT_GETS) as (keyof KeyRecord)[]).filter(
  (attribute): attribute is CopiedAttribute => REPLACEMENT_GETS[attribute] === 'copied',
);

function copiedFrom(old: KeyRecord): Pick<KeyRecord, CopiedAttribute> {
  return Object.fromEntries(
    COPIED.filter((attribute) => old[attribute] !== undefined).map((attribute) => [attribute, structuredClone(old[attribute])]),
  ) as Pick<KeyRecord, CopiedAttribute>;
}

/**
 * POST …/keys/{keyId}/rotate: a replacement with the same name, scopes, state and
 * metadata; the old key retires once the grace period has passed (at once for 0).
 * A key can be rotated once: an expired or revoked key, or one rotated already, is a conflict.
 *
 * The replacement is written pending (holding the rotation's record), then the old
 * key is marked rotated (its retirement), then the replacement is made live, last.
 * So a rotation that fails part-way never leaves a live replacement nobody holds:
 * the executor restores the old key where it can, and otherwise a retry supersedes
 * the unfinished rotation.
 */
export const rotateKey: KeyCommand<RotateKeyInput, IssuedApiKey> = {
  target: 'key',
  issuesKeys: 'rotate',
  readsReplacement: true,

  decide({ key: old, replacement }, { gracePeriodSeconds }, { caller, now, newKeyId, request }) {
    // A revoked key's powers are ended for good: no replacement may carry them on.
    if (old.revokedAt !== undefined) throw new ConflictError('The key has been revoked; create a new key instead.');
    // The caller receives the new secret, so it must already hold everything that secret grants.
    assertGrantable(old.scopes, caller);
    // A rotation whose replacement never went live did not finish: this one supersedes it.
    const unfinished = old.rotation && (replacement === undefined || replacement.pending) ? old.rotation : undefined;
    if (old.rotation && !unfinished) throw new ConflictError('The key has been rotated already; rotate its replacement instead.');
    // An unfinished rotation set the old key's expiry itself: the key's own expiry is the one before it.
    const ownExpiry = unfinished ? (unfinished.previousExpiresAt ?? undefined) : old.expiresAt;
    if (!unfinished && isExpired(old, now)) throw new ConflictError('The key has expired; create a new key instead.');
    const replacementExpiry = earliest(ownExpiry, expiryOf(caller));
    const graceEnds = new Date(now.getTime() + gracePeriodSeconds * 1000).toISOString();
    const retiredAt = earliest(ownExpiry, graceEnds) as string;
    const key: NewKey = {
      ...copiedFrom(old),
      keyId: newKeyId,
      createdAt: now.toISOString(),
      ...(replacementExpiry === undefined ? {} : { expiresAt: replacementExpiry }),
    };
    const record = auditRecordOf({
      tenantId: old.tenantId,
      keyId: old.keyId,
      keyName: old.name,
      action: 'key.rotated',
      changes: {
        rotatedTo: { old: null, new: newKeyId },
        ...changedFields({ expiresAt: old.expiresAt }, { expiresAt: retiredAt }, ['expiresAt']),
      },
      caller,
      at: now,
    });
    return {
      writes: [
        { kind: 'issue', key, record, pending: true, request },
        {
          kind: 'retire',
          key: old,
          rotation: { to: newKeyId, previousExpiresAt: ownExpiry ?? null },
          expiresAt: retiredAt,
          condition: unfinished ? { supersedes: unfinished.to } : { unexpiredAt: now.toISOString() },
        },
        { kind: 'activate' },
      ],
    };
  },

  answer({ issued }, { key: old }, { now }) {
    if (!issued) throw new Error('A rotation issues a key');
    return { ...toApiKey(issued.record, now), key: issued.secret, rotatedFrom: old.keyId };
  },
};
