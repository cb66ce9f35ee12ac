/** Environment variables shared by the deployed Lambdas, the CDK construct and local mode. */
export const ENV = {
  /** The key table. */
  tableName: 'TABLE_NAME',
  /** The tenant table: what the service keeps per tenant, such as idempotent requests. */
  tenantTableName: 'TENANT_TABLE_NAME',
  /** Prefix for newly issued keys: only the functions that issue keys read it. */
  keyPrefix: 'KEY_PREFIX',
  /** The Parameter Store path under which every protected stage is registered for cache flushes. */
  flushTargetsPath: 'FLUSH_TARGETS_PATH',
  /** The queue of follow-up and scheduled flushes. */
  flushQueueUrl: 'FLUSH_QUEUE_URL',
  /** The same queue, as the target of the flush schedules. */
  flushQueueArn: 'FLUSH_QUEUE_ARN',
  /** Where flushes that could not be delivered go, to be alarmed on. */
  flushDeadLetterQueueArn: 'FLUSH_DEAD_LETTER_QUEUE_ARN',
  /** EventBridge Scheduler group for one-time flushes when a key expires or its grace period ends. */
  flushScheduleGroup: 'FLUSH_SCHEDULE_GROUP',
  /** The role EventBridge Scheduler assumes to queue a flush. */
  flushScheduleRoleArn: 'FLUSH_SCHEDULE_ROLE_ARN',
  /** How long before its expiry a key is warned (`key.expiring`), in seconds. */
  expiryWarningSeconds: 'EXPIRY_WARNING_SECONDS',
  /** The queue the scheduled expiry warnings are put on, as the target of their schedules. */
  expiryWarningQueueArn: 'EXPIRY_WARNING_QUEUE_ARN',
  /** The deployment's part in each tenant's API Gateway API key: its name and value (src/domain/usage-key.ts). */
  usageKeyNamespace: 'USAGE_KEY_NAMESPACE',
  /** The Parameter Store path under which every protected REST API stage is registered for the usage plans. */
  planStagesPath: 'PLAN_STAGES_PATH',
  /** The plans as API Gateway usage plans, JSON: `{"default":"free","ids":{"free":"<usage plan id>",…}}`. */
  usagePlans: 'USAGE_PLANS',
  /** How long audit records are kept, in seconds: functions that record changes read it. */
  auditRetentionSeconds: 'AUDIT_RETENTION_SECONDS',
  /** The EventBridge bus every audit record is published to. */
  eventBusName: 'EVENT_BUS_NAME',
  /** The `source` of the events published. */
  eventSource: 'EVENT_SOURCE',
  /** The OpenID Connect issuer whose tokens sign console users in. */
  consoleIssuer: 'CONSOLE_ISSUER',
  /** The console's OAuth client id at that issuer: the audience its ID tokens name. */
  consoleClientId: 'CONSOLE_CLIENT_ID',
  /** The token claim that names the user's tenant. */
  consoleTenantClaim: 'CONSOLE_TENANT_CLAIM',
  /** The scopes console users may grant, space-separated. */
  consoleScopes: 'CONSOLE_SCOPES',
  /** Where the console's built page and assets are, relative to the function's working directory. */
  consoleAssetsDir: 'CONSOLE_ASSETS_DIR',
  /** Origins other than the service's own that the console page may fetch from: the identity provider's endpoints. */
  consoleConnectSources: 'CONSOLE_CONNECT_SOURCES',
  /** The CSP frame-ancestors sources: which pages may embed the console. */
  consoleFrameAncestors: 'CONSOLE_FRAME_ANCESTORS',
  /** The CloudWatch namespace of the verification metrics (Powertools Metrics reads it), for the functions that verify keys. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** A setting the function cannot work without: its absence is a deployment error, reported as such. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}
