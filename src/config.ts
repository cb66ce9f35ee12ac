/** Environment variables shared by the deployed Lambdas, the CDK construct and local mode. */
export const ENV = {
  /** The key table. */
  tableName: 'TABLE_NAME',
  /** The tenant table: what the service keeps per tenant, such as idempotent requests. */
  tenantTableName: 'TENANT_TABLE_NAME',
  /** Prefix for newly issued keys: only the functions that issue keys read it. */
  keyPrefix: 'KEY_PREFIX',
  /** The service's own RestApi id: the authorizer's policy and the cache flush use it. */
  restApiId: 'REST_API_ID',
  /** The stage whose authorizer cache is flushed on revocation. */
  stageName: 'STAGE_NAME',
  /** EventBridge Scheduler group for one-time flushes when a key expires or its grace period ends. */
  flushScheduleGroup: 'FLUSH_SCHEDULE_GROUP',
  /** The role EventBridge Scheduler assumes to call FlushStageAuthorizersCache. */
  flushScheduleRoleArn: 'FLUSH_SCHEDULE_ROLE_ARN',
} as const;

/** A setting the function cannot work without: its absence is a deployment error, reported as such. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}
