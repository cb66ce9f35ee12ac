/**
 * Instants as the service stores them: ISO-8601 text, compared as instants, not
 * as text. An absent instant means never.
 */

/** The earlier of two instants, either of which may be absent (never). */
export function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/** Whether instant `a` is strictly later than `b`; an absent instant is never and so later than any. */
export function isLater(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined) return b !== undefined;
  if (b === undefined) return false;
  return Date.parse(a) > Date.parse(b);
}
