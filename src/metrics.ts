import type { Verification } from './domain/key-verification';

/**
 * The service's own CloudWatch metrics, written as EMF by the functions that
 * verify keys and read by the construct's alarms and dashboard: one name per
 * outcome, so that neither needs a dimension beyond `service`. Never a key id or
 * a tenant id: those are in the logs, and as dimensions they would make a metric per key.
 */
export const DEFAULT_METRICS_NAMESPACE = 'ApiKeyService';

/** The one dimension of every metric, with the value Powertools Metrics writes. */
export const METRICS_SERVICE = 'api-key-service';

/** Who verified the key: the x-api-key authorizer, or POST /verify. */
export type MetricSource = 'Authorizer' | 'Verify';

/** What one verification found: the verifier's outcome, a table that could not be read, or (POST /verify) a key without the scope asked about. */
export type MeasuredOutcome = Verification['outcome'] | 'storeError' | 'insufficientScope';

const OUTCOME_NAMES = {
  valid: 'Allowed',
  missing: 'Missing',
  malformed: 'Malformed',
  unknown: 'Unknown',
  disabled: 'Disabled',
  expired: 'Expired',
  storeError: 'StoreError',
  insufficientScope: 'InsufficientScope',
} as const satisfies Record<MeasuredOutcome, string>;

/** The outcomes the authorizer can have; a scope is judged by API Gateway against its policy, after it answered. */
export const AUTHORIZER_OUTCOMES = [
  'valid',
  'missing',
  'malformed',
  'unknown',
  'disabled',
  'expired',
  'storeError',
] as const satisfies readonly MeasuredOutcome[];

export const VERIFY_OUTCOMES = [...AUTHORIZER_OUTCOMES, 'insufficientScope'] as const satisfies readonly MeasuredOutcome[];

/** A count of 1 per verification with that outcome, e.g. `AuthorizerAllowed`, `VerifyInsufficientScope`. */
export function outcomeMetricName(source: MetricSource, outcome: MeasuredOutcome): string {
  return `${source}${OUTCOME_NAMES[outcome]}`;
}

/** Milliseconds from the start of a verification that read the table to its outcome, e.g. `AuthorizerLookupLatency`. */
export function lookupLatencyMetricName(source: MetricSource): string {
  return `${source}LookupLatency`;
}

/**
 * Registered stages the usage plan reconciler found missing from a usage plan
 * (each stage counted once): published by every run, 0 when none was. Above 0,
 * keys were refused on those stages until it put them back.
 */
export const UNLINKED_STAGES_METRIC = 'UnlinkedStages';
