import type { Duration } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable, IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { MeasuredOutcome, MetricSource } from '../src/metrics';
import type { AuthorizerCacheFlush } from './authorizer-cache-flush';
import type { TenantUsagePlans } from './tenant-usage-plans';

/** Which verifier's count or latency: the x-api-key authorizer's, or POST /verify's. */
export interface VerificationMetricOptions extends MetricOptions {
  /**
   * `Authorizer`: the x-api-key authorizer of the service's own API and of every API it protects.
   * `Verify`: `POST /verify`, for backends not behind API Gateway.
   *
   * @default 'Authorizer'
   */
  readonly verifier?: MetricSource;
}

/**
 * The API key service as other constructs use it: what a protected API needs
 * (the authorizer, its cache TTL, the flush registry, the usage plans), the
 * grants a back office needs, and the service's verification metrics. The
 * protections take this, so an API's stack depends on what it uses, not on how
 * the service is built.
 */
export interface IApiKeyService extends IConstruct {
  /** The Lambda behind every x-api-key authorizer of the service and of the APIs it protects. */
  readonly authorizerFunction: IFunction;
  /** The role API Gateway assumes to invoke that Lambda: every protected API's `AuthorizerCredentials`. */
  readonly authorizerInvokeRole: IRole;
  /** How long API Gateway caches an authorizer answer, unless a protected API sets its own. */
  readonly authorizerCacheTtl: Duration;
  /** What flushes the protected stages' authorizer caches: protected stages register with it. */
  readonly cacheFlush: AuthorizerCacheFlush;
  /** The plans as API Gateway usage plans: protected REST stages are put under them. */
  readonly usagePlans: TenantUsagePlans;
  /** The CloudWatch namespace of the service's own metrics. */
  readonly metricsNamespace: string;

  /** Lets `grantee` call the admin routes with SigV4, and nothing of the self-service routes. */
  grantAdmin(grantee: IGrantable): Grant;
  /** Lets `grantee` read key records: GetItem by hash on the table, Query on `byTenant`. No writes. */
  grantReadKeys(grantee: IGrantable): Grant;

  /**
   * One of the service's own metrics, in its namespace with its `service` dimension.
   *
   * @default - sum over 5 minutes
   */
  metric(metricName: string, props?: MetricOptions): Metric;
  /**
   * Verifications with this outcome (a count per verification, not per request:
   * API Gateway caches the authorizer's answers).
   *
   * @default - sum over 5 minutes, of the authorizer's
   */
  metricOutcome(outcome: MeasuredOutcome, props?: VerificationMetricOptions): Metric;
  /** Keys let through. @default - sum over 5 minutes, of the authorizer's */
  metricAllowed(props?: VerificationMetricOptions): Metric;
  /** Requests with no key at all. @default - sum over 5 minutes, of the authorizer's */
  metricMissing(props?: VerificationMetricOptions): Metric;
  /** Keys refused by their format or checksum, without a read. @default - sum over 5 minutes, of the authorizer's */
  metricMalformed(props?: VerificationMetricOptions): Metric;
  /** Well-formed keys the table does not hold. @default - sum over 5 minutes, of the authorizer's */
  metricUnknown(props?: VerificationMetricOptions): Metric;
  /** Disabled keys. @default - sum over 5 minutes, of the authorizer's */
  metricDisabled(props?: VerificationMetricOptions): Metric;
  /** Expired keys. @default - sum over 5 minutes, of the authorizer's */
  metricExpired(props?: VerificationMetricOptions): Metric;
  /** Verifications that failed closed because the table could not be read (clients got 503). @default - sum over 5 minutes, of the authorizer's */
  metricStoreError(props?: VerificationMetricOptions): Metric;
  /** Milliseconds from the start of a verification that read the table to its outcome. @default - average over 5 minutes, of the authorizer's */
  metricLookupLatency(props?: VerificationMetricOptions): Metric;
  /**
   * Registered stages the usage plan reconciler found missing from a usage plan, as
   * each run publishes it (0 when none was): above 0, valid keys got 503 on them.
   *
   * @default - maximum over 5 minutes
   */
  metricUnlinkedStages(props?: MetricOptions): Metric;
}
