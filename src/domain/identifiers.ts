/**
 * The shapes of the identifiers the service deals in, apart from the schemas that
 * use them, so that code which must stay small and free of zod (the JWT
 * authorizer, POST /verify) can check them too.
 */

export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const KEY_ID_PATTERN = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;
/** What a key may do, e.g. `orders:read`. */
export const SCOPE_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;
export const SCOPE_MESSAGE = `must match ${SCOPE_PATTERN.source}`;
