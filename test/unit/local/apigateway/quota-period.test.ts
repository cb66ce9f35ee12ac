import { daysBetween, quotaPeriodStart, utcDay, utcDayClock } from '../../../../local/apigateway/quota-period';

describe('quota periods, in UTC days, with offset 0', () => {
  it('starts a DAY at the day itself', () => {
    expect(quotaPeriodStart('DAY', '2030-03-05')).toBe('2030-03-05');
  });

  it('starts a WEEK on the Sunday on or before the day', () => {
    // 2030-03-03 is a Sunday.
    expect(quotaPeriodStart('WEEK', '2030-03-03')).toBe('2030-03-03');
    expect(quotaPeriodStart('WEEK', '2030-03-09')).toBe('2030-03-03');
    expect(quotaPeriodStart('WEEK', '2030-03-10')).toBe('2030-03-10');
    expect(quotaPeriodStart('WEEK', '2030-01-01')).toBe('2029-12-30');
  });

  it('starts a MONTH on its first day', () => {
    expect(quotaPeriodStart('MONTH', '2030-02-28')).toBe('2030-02-01');
    expect(quotaPeriodStart('MONTH', '2030-03-01')).toBe('2030-03-01');
  });

  it('names days in UTC, whatever the local time zone', () => {
    expect(utcDay(new Date('2030-03-05T23:59:59.999Z'))).toBe('2030-03-05');
    expect(utcDay(new Date('2030-03-06T00:00:00+01:00'))).toBe('2030-03-05');
  });

  it('names the day of each instant a clock gives, across midnight and back', () => {
    const dayOf = utcDayClock();
    const at = (text: string) => Date.parse(text);
    expect(dayOf(at('2030-03-05T23:59:59.999Z'))).toBe('2030-03-05');
    expect(dayOf(at('2030-03-05T00:00:00.000Z'))).toBe('2030-03-05');
    expect(dayOf(at('2030-03-06T00:00:00.000Z'))).toBe('2030-03-06');
    expect(dayOf(at('2030-03-05T12:00:00.000Z'))).toBe('2030-03-05');
    expect(dayOf(at('1969-12-31T23:00:00.000Z'))).toBe('1969-12-31');
  });

  it('lists the days from one to another, both included, across a month end', () => {
    expect(daysBetween('2030-02-27', '2030-03-02')).toEqual(['2030-02-27', '2030-02-28', '2030-03-01', '2030-03-02']);
    expect(daysBetween('2030-03-02', '2030-03-02')).toEqual(['2030-03-02']);
  });
});
