import type { QuotaPeriod } from '../../src/plans';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A UTC day as GetUsage names it: `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * `utcDay` of epoch milliseconds, for a clock asked on every request: the day's
 * name is made once, and given again until the clock leaves that day.
 */
export function utcDayClock(): (at: number) => string {
  let start = 0;
  let end = 0;
  let day = '';
  return (at) => {
    if (at < start || at >= end) {
      start = at - (((at % DAY_MS) + DAY_MS) % DAY_MS);
      end = start + DAY_MS;
      day = utcDay(new Date(start));
    }
    return day;
  };
}

/** The days from `first` to `last`, both included, as `YYYY-MM-DD`. */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${first}T00:00:00Z`); at <= Date.parse(`${last}T00:00:00Z`); at += DAY_MS) {
    days.push(utcDay(new Date(at)));
  }
  return days;
}

/**
 * The first day of the quota period that `day` is in, for a usage plan whose
 * quota has offset 0: the day itself, the Sunday before or on it (a WEEK with
 * offset 0 starts on Sunday: QuotaSettings in the API Gateway API model), or the
 * first of its month. Periods are UTC days, as the usage data is.
 */
export function quotaPeriodStart(period: QuotaPeriod, day: string): string {
  const at = new Date(`${day}T00:00:00Z`);
  switch (period) {
    case 'DAY':
      return day;
    case 'WEEK':
      return utcDay(new Date(at.getTime() - at.getUTCDay() * DAY_MS));
    case 'MONTH':
      return `${day.slice(0, 7)}-01`;
  }
}
