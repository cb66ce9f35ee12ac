import { auditRecordOf } from '../audit';
import type { KeyCommand } from './change-plan';

/**
 * DELETE …/keys/{keyId}: the key is marked deleted with its record, in one write
 * (from then on it is unknown to every reader), and its item removed once the
 * record is delivered.
 */
export const deleteKey: KeyCommand<void, void> = {
  target: 'key',

  decide({ key }, _input, { caller, now }) {
    const record = auditRecordOf({
      tenantId: key.tenantId,
      keyId: key.keyId,
      keyName: key.name,
      action: 'key.deleted',
      changes: { name: { old: key.name, new: null } },
      caller,
      at: now,
    });
    return { writes: [{ kind: 'markDeleted', key, record }] };
  },

  answer() {},
};
