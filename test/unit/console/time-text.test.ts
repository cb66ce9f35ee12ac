import { dateText, relativeText } from '../../../console/time-text';

const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const MINUTE = 60_000;
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const at = (minutesFromNow: number) => new Date(NOW + minutesFromNow * MINUTE).toISOString();

describe('times as people read them', () => {
  it('says "now" within 45 seconds either way', () => {
    expect(relativeText(new Date(NOW - 44_000).toISOString(), NOW)).toBe(relative.format(0, 'second'));
    expect(relativeText(new Date(NOW + 30_000).toISOString(), NOW)).toBe(relative.format(0, 'second'));
  });

  it('counts minutes, hours and days, past and future, in the largest unit that fits', () => {
    expect(relativeText(new Date(NOW - 50_000).toISOString(), NOW)).toBe(relative.format(-1, 'minute'));
    expect(relativeText(at(-5), NOW)).toBe(relative.format(-5, 'minute'));
    expect(relativeText(at(-59), NOW)).toBe(relative.format(-59, 'minute'));
    expect(relativeText(at(-3 * 60), NOW)).toBe(relative.format(-3, 'hour'));
    expect(relativeText(at(-26 * 60), NOW)).toBe(relative.format(-1, 'day'));
    expect(relativeText(at(3 * 24 * 60), NOW)).toBe(relative.format(3, 'day'));
  });

  it('gives the date from a month away on', () => {
    expect(relativeText(at(-40 * 24 * 60), NOW)).toBe(date.format(new Date(at(-40 * 24 * 60))));
    expect(relativeText('2099-12-31T23:59:59.000Z', NOW)).toBe(dateText('2099-12-31T23:59:59.000Z'));
    expect(dateText('2099-12-31T12:00:00.000Z')).toBe(date.format(Date.parse('2099-12-31T12:00:00.000Z')));
  });
});
