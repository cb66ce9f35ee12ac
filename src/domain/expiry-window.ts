/**
 * The expiry warnings' window (expiry-warnings.ts): how long before its expiry an
 * active key is warned. It imports nothing: the console, which says "expires in
 * N days" within the window, carries it.
 */

/** A week, unless the deployment says otherwise. */
export const DEFAULT_EXPIRY_WARNING_SECONDS = 7 * 24 * 60 * 60;

/**
 * What a deployment may set the window to, in whole seconds: from a minute (a
 * schedule's precision) to 366 days (a year ahead is as far as "soon" goes).
 */
export const EXPIRY_WARNING_BOUNDS = { minSeconds: 60, maxSeconds: 366 * 24 * 60 * 60 } as const;
