/**
 * Why a key was revoked: `leaked`, its secret was exposed (always, when its holder
 * or a secret scanner revokes it); `unused`, it is ended for good because nothing
 * needs it any more (an owner's housekeeping, by id).
 */
export const REVOCATION_REASONS = ['leaked', 'unused'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
