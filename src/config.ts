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
} as const;

/** A setting the function cannot work without: its absence is a deployment error, reported as such. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}
