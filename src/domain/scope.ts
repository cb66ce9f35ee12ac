/** What a key may do, e.g. `orders:read`. Free of zod: POST /verify checks scopes without it. */
export const SCOPE_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;

export const SCOPE_MESSAGE = `must match ${SCOPE_PATTERN.source}`;
