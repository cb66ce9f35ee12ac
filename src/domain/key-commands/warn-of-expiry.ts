import { expiryWarningOf, needsWarning } from '../expiry-warnings';
import type { KeyCommand } from './change-plan';

/** The expiry a scheduled warning was scheduled for: the key may have another by the time it runs. */
export interface ExpiryWarningInput {
  expiresAt: string;
}

/**
 * A scheduled expiry warning, run by the service when it is due (expiry-warnings.ts):
 * the key's `key.expiring` record, if the key is still active with that expiry and
 * was not warned of it. Otherwise nothing: the key was deleted, disabled, revoked
 * or rotated, its expiry moved (the new one has its own warning), or it was warned
 * of this one already. The store checks the same again as it writes.
 */
export const warnOfExpiry: KeyCommand<ExpiryWarningInput, void> = {
  target: 'key',

  decide({ key }, { expiresAt }, { now }) {
    if (!needsWarning(key, expiresAt, now)) return { writes: [] };
    return { writes: [{ kind: 'warnOfExpiry', key, warning: expiryWarningOf(key, expiresAt, now) }] };
  },

  answer() {},
};
