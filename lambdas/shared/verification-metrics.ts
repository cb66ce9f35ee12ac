import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  lookupLatencyMetricName,
  METRICS_SERVICE,
  type MeasuredOutcome,
  type MetricSource,
  outcomeMetricName,
  readsTable,
} from '../../src/metrics';

/**
 * One EMF line per verification, in the namespace the construct sets
 * (POWERTOOLS_METRICS_NAMESPACE): its outcome's count and, if it read the
 * table, the lookup's latency. Written at once, before the function answers or
 * throws, so nothing is left in the buffer when Lambda freezes the environment.
 * Made once per function, when its module loads, with that function's settings.
 */
export function verificationMetrics(source: MetricSource) {
  const metrics = new Metrics({ serviceName: METRICS_SERVICE });
  return {
    /** `startedAt` is the `performance.now()` at which the verification began. */
    publish(outcome: MeasuredOutcome, startedAt: number): void {
      metrics.addMetric(outcomeMetricName(source, outcome), MetricUnit.Count, 1);
      if (readsTable(outcome)) {
        metrics.addMetric(lookupLatencyMetricName(source), MetricUnit.Milliseconds, performance.now() - startedAt);
      }
      metrics.publishStoredMetrics();
    },
  };
}
