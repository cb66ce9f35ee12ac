import { needsWarning } from '../expiry-warnings';
import type { KeyCommand } from './change-plan';

/**
 * A scheduled expiry warning, run by the service when it is due (expiry-warnings.ts):
 * the key's warning of its expiry as it is now, if the key is active and was not
 * warned of it. The schedule is one per key, and the last change to write it wins:
 * changes racing each other can leave it on an expiry the key no longer has. So it
 * is the key's own expiry that is warned of, whichever the schedule was made for:
 * written now if it is due (the expiry the schedule was made for is), otherwise
 * scheduled again for it (change-executor.ts decides which). Nothing for a key
 * deleted, disabled, revoked or rotated, with no expiry or one that has come, or
 * warned of it already. The store checks the same again as it writes.
 */
export const warnOfExpiry: KeyCommand<undefined, void> = {
  target: 'key',

  decide({ key }, _input, { now }) {
    const { expiresAt } = key;
    if (expiresAt === undefined || !needsWarning(key, expiresAt, now)) return { writes: [] };
    return { writes: [{ kind: 'warnOfExpiry', key, expiresAt }] };
  },

  answer() {},
};
