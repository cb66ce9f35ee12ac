export interface ChangeFeedScheduleOptions {
  /** One look at the tables; resolves whether it found anything to hand over. */
  look: () => Promise<boolean>;
  /**
   * How soon the next look follows one that found something or failed, and the
   * least time from one look's start to the next's when a change wakes the feed.
   */
  intervalMs: number;
  /** How long the feed waits after a look that found nothing, unless a change wakes it sooner. */
  idleIntervalMs: number;
  /** Where a failed look is reported; what it was for is found again at the next. */
  onError: (error: unknown) => void;
}

export interface ChangeFeedSchedule {
  /** The tables changed: look at once, or as soon as the last look started `intervalMs` ago and has ended. */
  wake(): void;
  /** No more looks; resolves once the one under way has ended. */
  close(): Promise<void>;
}

/**
 * When the change feed looks: one look at a time, the first `intervalMs` after
 * the start; then `intervalMs` after a look that found something (or failed),
 * `idleIntervalMs` after one that found nothing, and at once on a change, but
 * never sooner than `intervalMs` after the last look began. A change during a
 * look (which may have read the tables before it) brings another look after it.
 */
export function scheduleChangeFeed(options: ChangeFeedScheduleOptions): ChangeFeedSchedule {
  let closed = false;
  let running: Promise<void> | undefined;
  let woken = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Number.POSITIVE_INFINITY;
  let lastStartedAt = Number.NEGATIVE_INFINITY;

  function lookAt(at: number): void {
    if (closed || running || at >= dueAt) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(look, Math.max(0, at - Date.now())).unref();
  }

  function look(): void {
    timer = undefined;
    dueAt = Number.POSITIVE_INFINITY;
    woken = false;
    lastStartedAt = Date.now();
    let waitMs = options.idleIntervalMs;
    running = options
      .look()
      .then(
        (found) => {
          if (found) waitMs = options.intervalMs;
        },
        (error: unknown) => {
          waitMs = options.intervalMs;
          options.onError(error);
        },
      )
      .finally(() => {
        running = undefined;
        lookAt(woken ? lastStartedAt + options.intervalMs : Date.now() + waitMs);
      });
  }

  lookAt(Date.now() + options.intervalMs);
  return {
    wake() {
      if (running) woken = true;
      else lookAt(lastStartedAt + options.intervalMs);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
