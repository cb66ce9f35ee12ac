/**
 * Times as people read them, in the browser's language: "5 minutes ago",
 * "yesterday", "in 3 days"; a date beyond a month away. The exact instant stays
 * on the element (its `datetime`, and its title on hover).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** The largest that fits is used; under a minute, "now". */
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 1440 * MINUTE],
  ['hour', 60 * MINUTE],
  ['minute', MINUTE],
];
/** Past this, a relative time ("in 74 days") says less than the date. */
const RELATIVE_LIMIT_MS = 30 * 1440 * MINUTE;

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A calendar date, e.g. "6 Dec 2025": for when a key was made. */
export function dateText(iso: string): string {
  return date.format(new Date(iso));
}

/** How long ago or ahead `iso` is from `now`, e.g. "3 minutes ago"; a date beyond a month. */
export function relativeText(iso: string, now: number): string {
  const difference = Date.parse(iso) - now;
  const distance = Math.abs(difference);
  if (distance >= RELATIVE_LIMIT_MS) return dateText(iso);
  if (distance < 45 * SECOND) return relative.format(0, 'second');
  const [unit, size] = UNITS.find(([, length]) => distance >= length) ?? ['minute', MINUTE];
  return relative.format(Math.round(difference / size), unit);
}
