import { type ChangeFeedSchedule, scheduleChangeFeed } from '../../../../local/lambda/change-feed-schedule';

const INTERVAL = 250;
const IDLE = 5_000;

describe("the change feed's schedule", () => {
  let schedule: ChangeFeedSchedule | undefined;
  /** When each look began, in ms since the start. */
  let looks: number[];
  let errors: unknown[];
  let start: number;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    start = Date.now();
    looks = [];
    errors = [];
  });

  afterEach(async () => {
    const closing = schedule?.close();
    await jest.advanceTimersByTimeAsync(1_000);
    await closing;
    schedule = undefined;
    jest.useRealTimers();
  });

  /** Starts the schedule; each look takes `lookMs` and finds what `finds` answers for it (by its number, from 0). */
  const begin = (finds: (look: number) => boolean | Error = () => false, lookMs = 0) => {
    schedule = scheduleChangeFeed({
      look: async () => {
        const look = looks.push(Date.now() - start) - 1;
        if (lookMs > 0) await new Promise((resolve) => setTimeout(resolve, lookMs));
        const found = finds(look);
        if (found instanceof Error) throw found;
        return found;
      },
      intervalMs: INTERVAL,
      idleIntervalMs: IDLE,
      onError: (error) => errors.push(error),
    });
  };

  it('looks once the interval after the start, then backs off to the idle interval while nothing is found', async () => {
    begin();
    await jest.advanceTimersByTimeAsync(16_000);
    expect(looks).toEqual([250, 5_250, 10_250, 15_250]);
  });

  it('looks again after the interval while looks find something, or fail', async () => {
    const failure = new Error('delivery failed');
    begin((look) => (look === 1 ? failure : look < 3));
    await jest.advanceTimersByTimeAsync(6_500);
    expect(looks).toEqual([250, 500, 750, 1_000, 6_000]);
    expect(errors).toEqual([failure]);
  });

  it('looks at once when woken while idle', async () => {
    begin();
    await jest.advanceTimersByTimeAsync(2_000);
    schedule?.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(looks).toEqual([250, 2_000]);
    // Then idle again, counted from that look.
    await jest.advanceTimersByTimeAsync(5_000);
    expect(looks).toEqual([250, 2_000, 7_000]);
  });

  it('never looks sooner than the interval after the last look began, however often woken', async () => {
    begin();
    await jest.advanceTimersByTimeAsync(300);
    for (let at = 300; at < 1_000; at += 10) {
      schedule?.wake();
      await jest.advanceTimersByTimeAsync(10);
    }
    expect(looks).toEqual([250, 500, 750, 1_000]);
  });

  it('looks again after a look during which it was woken, since that look may have read the tables before the change', async () => {
    begin(() => false, 100);
    await jest.advanceTimersByTimeAsync(300);
    schedule?.wake();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(looks).toEqual([250, 500]);
  });

  it('looks no more once closed, and a close waits for the look under way', async () => {
    begin(() => true, 100);
    await jest.advanceTimersByTimeAsync(300);
    let closed = false;
    const closing = schedule?.close().then(() => (closed = true));
    schedule?.wake();
    await jest.advanceTimersByTimeAsync(40);
    expect(closed).toBe(false);
    await jest.advanceTimersByTimeAsync(10);
    await closing;
    expect(closed).toBe(true);
    schedule?.wake();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(looks).toEqual([250]);
  });
});
