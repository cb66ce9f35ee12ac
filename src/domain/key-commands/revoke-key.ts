import { type ApiKey, toApiKey } from '../api-key';
import { auditRecordOf } from '../audit';
import type { RevokeKeyInput } from '../validation';
import type { KeyCommand } from './change-plan';

/**
 * POST …/keys/{keyId}/revoke, POST /revoke and GitHub's secret scanning: the key is
 * ended for good, in one write with its record. It is disabled with it (so every
 * reader that knows only `enabled` refuses it too), the authorizer caches are
 * flushed as for a disable, and nothing may enable it, re-scope it, extend it or
 * rotate it again (update-key.ts, rotate-key.ts). A key revoked already is left as
 * it is, with no second record: revoking is safe to repeat.
 */
export const revokeKey: KeyCommand<RevokeKeyInput, ApiKey> = {
  target: 'key',

  decide({ key }, { reason }, { caller, now }) {
    if (key.revokedAt !== undefined) return { writes: [] };
    const revokedAt = now.toISOString();
    const record = auditRecordOf({
      tenantId: key.tenantId,
      keyId: key.keyId,
      keyName: key.name,
      action: 'key.revoked',
      changes: {
        ...(key.enabled ? { enabled: { old: true, new: false } } : {}),
        revokedAt: { old: null, new: revokedAt },
        revokedReason: { old: null, new: reason },
      },
      caller,
      at: now,
    });
    return { writes: [{ kind: 'revoke', key, revocation: { at: revokedAt, reason }, record }] };
  },

  answer({ change }, { key }, { now }) {
    return toApiKey(change?.after ?? key, now);
  },
};
