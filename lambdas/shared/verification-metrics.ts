import {
  DEFAULT_METRICS_NAMESPACE,
  lookupLatencyMetricName,
  METRICS_SERVICE,
  type MeasuredOutcome,
  type MetricSource,
  outcomeMetricName,
} from '../../src/metrics';

/** Published at least this often while verifications come in, and at once after this many since the last line. */
const PUBLISH_INTERVAL_MS = 1_000;
const PUBLISH_EVERY_OUTCOMES = 1_000;
/** CloudWatch takes at most 100 distinct values per metric in one EMF line. */
const MAX_DISTINCT_VALUES = 100;
/** Latencies are kept in buckets 10 % wide, each counted at its geometric middle, as AWS's EMF libraries keep histograms. */
const BUCKET_WIDTH = Math.log(1.1);
/** A latency under a microsecond is counted as one. */
const SMALLEST_LATENCY_MS = 0.001;

/** Latencies as EMF takes a distribution: distinct values with their counts, and the exact count, sum, least and most. */
class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;

  static bucketOf(ms: number): number {
    const index = Math.floor(Math.log(Math.max(ms, SMALLEST_LATENCY_MS)) / BUCKET_WIDTH);
    return Math.exp((index + 0.5) * BUCKET_WIDTH);
  }

  /** Whether this value would need a value the line has no room for. */
  isFullFor(bucket: number): boolean {
    return this.buckets.size >= MAX_DISTINCT_VALUES && !this.buckets.has(bucket);
  }

  add(bucket: number, ms: number): void {
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + 1);
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  isEmpty(): boolean {
    return this.count === 0;
  }

  /** The EMF value, and this histogram emptied. */
  take(): { Values: number[]; Counts: number[]; Max: number; Min: number; Count: number; Sum: number } {
    const value = {
      Values: [...this.buckets.keys()].map((bucket) => Number(bucket.toPrecision(4))),
      Counts: [...this.buckets.values()],
      Max: this.max,
      Min: this.min,
      Count: this.count,
      Sum: this.sum,
    };
    this.buckets.clear();
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
    return value;
  }
}

/**
 * The outcome counts and lookup latencies of the functions that verify keys,
 * in the namespace the construct sets (POWERTOOLS_METRICS_NAMESPACE; the
 * functions do not load Powertools, but keep its settings, so
 * POWERTOOLS_METRICS_DISABLED=true silences them as it did).
 *
 * Counted in memory: a refusal adds one to a number and writes nothing. One
 * CloudWatch EMF line carries everything since the last one, written when a
 * verification ends at least a second after the last line, or with the 1,000th
 * outcome since, or with a store error, which an alarm waits on. What a line
 * has not yet carried when Lambda retires the environment is lost
 * (docs/operations.md). Made once per function, when its module loads.
 */
export function verificationMetrics(source: MetricSource) {
  const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE;
  const enabled = process.env.POWERTOOLS_METRICS_DISABLED !== 'true';
  const latencyName = lookupLatencyMetricName(source);
  const counts = new Map<MeasuredOutcome, number>();
  const latencies = new LatencyHistogram();
  let pending = 0;
  let publishedAt = Date.now();

  function publish(now: number): void {
    const line: Record<string, unknown> = {};
    const metrics: { Name: string; Unit: string }[] = [];
    for (const [outcome, count] of counts) {
      const name = outcomeMetricName(source, outcome);
      metrics.push({ Name: name, Unit: 'Count' });
      line[name] = count;
    }
    if (!latencies.isEmpty()) {
      metrics.push({ Name: latencyName, Unit: 'Milliseconds' });
      line[latencyName] = latencies.take();
    }
    counts.clear();
    pending = 0;
    publishedAt = now;
    if (!enabled) return;
    const directive = { Namespace: namespace, Dimensions: [['service']], Metrics: metrics };
    const document = { _aws: { Timestamp: now, CloudWatchMetrics: [directive] }, service: METRICS_SERVICE, ...line };
    process.stdout.write(`${JSON.stringify(document)}\n`);
  }

  return {
    /**
     * One verification's outcome, and for one that read the table, how many
     * milliseconds from its start it took. Synchronous: it writes a line only
     * when one is due.
     */
    record(outcome: MeasuredOutcome, lookupMs?: number): void {
      const now = Date.now();
      if (lookupMs !== undefined) {
        const bucket = LatencyHistogram.bucketOf(lookupMs);
        if (latencies.isFullFor(bucket)) publish(now);
        latencies.add(bucket, lookupMs);
      }
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      pending++;
      if (outcome === 'storeError' || pending >= PUBLISH_EVERY_OUTCOMES || now - publishedAt >= PUBLISH_INTERVAL_MS) {
        publish(now);
      }
    },
  };
}
