import { randomBytes } from 'node:crypto';
import { ENV } from '../../src/config';
import type { HandlerDefinition } from '../../src/routes';
import type { Stage } from '../apigateway/stage';
import type { LocalConfig } from './local-config';

/** The schedule group the handlers create their cache-flush schedules in; the local Scheduler knows no other. */
export const FLUSH_SCHEDULE_GROUP = 'local';
/** Where the local stages are registered for cache flushes. */
export const FLUSH_TARGETS_PATH = '/api-key-service/local/targets';
export const FLUSH_QUEUE_NAME = 'authorizer-cache-flush';
export const FLUSH_DEAD_LETTER_QUEUE_NAME = 'authorizer-cache-flush-dead-letters';

export interface LocalEndpoints {
  /** DYNAMODB_ENDPOINT, or this server, which serves the embedded DynamoDB to this process's own SDK credentials only. */
  dynamoDb: string;
  /** This server: it serves the AWS calls the functions make, other than DynamoDB's. */
  server: string;
}

/** A function that is behind no route: the x-api-key authorizer, or the flush queue's consumer. */
export type RoutelessFunction = 'authorizer' | 'flusher';

/**
 * What every deployed Lambda finds in its environment, pointed at local
 * endpoints: the AWS SDK's region and endpoints.
 */
export function sdkEnvironment(config: LocalConfig, endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: config.region,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    AWS_ENDPOINT_URL_API_GATEWAY: endpoints.server,
    AWS_ENDPOINT_URL_SCHEDULER: endpoints.server,
    AWS_ENDPOINT_URL_SQS: endpoints.server,
    AWS_ENDPOINT_URL_SSM: endpoints.server,
  };
}

/** The flush queue and its dead-letter queue, as this server serves them. */
export function localQueueLocation(stage: Stage, server: string, name: string): { url: string; arn: string } {
  return { url: `${server}/${stage.accountId}/${name}`, arn: `arn:aws:sqs:${stage.region}:${stage.accountId}:${name}` };
}

/**
 * The settings one function gets, exactly as the construct's grants give them
 * in AWS: the table to whoever uses it, the key prefix to functions that issue
 * keys, the registry and queue to functions that flush, the schedule group, role
 * and queues to functions that schedule flushes. Nothing else, so a function that
 * lacks a grant fails here as it would deployed.
 */
export function functionEnvironment(
  definition: HandlerDefinition | RoutelessFunction,
  config: LocalConfig,
  stage: Stage,
  server: string,
): Record<string, string> {
  const flushNow = {
    [ENV.flushTargetsPath]: FLUSH_TARGETS_PATH,
    [ENV.flushQueueUrl]: localQueueLocation(stage, server, FLUSH_QUEUE_NAME).url,
  };
  if (definition === 'authorizer') return { [ENV.tableName]: config.tableName };
  if (definition === 'flusher') return flushNow;
  const env: Record<string, string> = {};
  const usesKeyTable = definition.verifiesKeys || definition.tableActions.length > 0 || definition.indexActions.length > 0;
  if (usesKeyTable) env[ENV.tableName] = config.tableName;
  if (definition.tenantTableActions.length > 0) env[ENV.tenantTableName] = config.tenantTableName;
  if (definition.issuesKeys) env[ENV.keyPrefix] = config.keyPrefix;
  if (definition.invalidation.includes('flushNow')) Object.assign(env, flushNow);
  if (definition.invalidation.includes('flushAt')) {
    env[ENV.flushScheduleGroup] = FLUSH_SCHEDULE_GROUP;
    env[ENV.flushScheduleRoleArn] = `arn:aws:iam::${stage.accountId}:role/local-authorizer-cache-flush`;
    env[ENV.flushQueueArn] = localQueueLocation(stage, server, FLUSH_QUEUE_NAME).arn;
    env[ENV.flushDeadLetterQueueArn] = localQueueLocation(stage, server, FLUSH_DEAD_LETTER_QUEUE_NAME).arn;
  }
  return env;
}

/**
 * Credentials for the SDK when the environment names none, so that nothing
 * falls back to a real AWS profile. The secret is new at every start and never
 * leaves this process (it is neither printed nor saved): the embedded DynamoDB
 * takes only requests signed with it. The access key id is fixed because
 * DynamoDB Local (without -sharedDb) keeps one database per access key id.
 */
export function fallbackSdkCredentials(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) return {};
  return { AWS_ACCESS_KEY_ID: 'LOCAL', AWS_SECRET_ACCESS_KEY: randomBytes(20).toString('hex') };
}
