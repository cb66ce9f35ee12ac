import { randomBytes } from 'node:crypto';
import { ENV } from '../src/config';
import type { LocalConfig } from './local-config';
import type { Stage } from './stage';

/** The schedule group the handlers create their cache-flush schedules in; the local Scheduler knows no other. */
export const FLUSH_SCHEDULE_GROUP = 'local';

export interface LocalEndpoints {
  dynamoDb: string;
  /** This server: it serves the API Gateway and Scheduler calls the handlers make. */
  server: string;
}

/**
 * What the deployed Lambdas find in their environment, pointed at local
 * endpoints: the handlers and the SDK clients they build read it unchanged.
 */
export function lambdaEnvironment(config: LocalConfig, stage: Stage, endpoints: LocalEndpoints): Record<string, string> {
  return {
    [ENV.tableName]: config.tableName,
    [ENV.keyPrefix]: config.keyPrefix,
    [ENV.restApiId]: stage.restApiId,
    [ENV.stageName]: stage.name,
    [ENV.flushScheduleGroup]: FLUSH_SCHEDULE_GROUP,
    [ENV.flushScheduleRoleArn]: `arn:aws:iam::${stage.accountId}:role/local-authorizer-cache-flush`,
    AWS_REGION: config.region,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    AWS_ENDPOINT_URL_API_GATEWAY: endpoints.server,
    AWS_ENDPOINT_URL_SCHEDULER: endpoints.server,
  };
}

/**
 * Credentials for the SDK when the environment names none, so that nothing
 * falls back to a real AWS profile. The access key id is fixed because
 * DynamoDB Local (without -sharedDb) keeps one database per access key id.
 */
export function fallbackSdkCredentials(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) return {};
  return { AWS_ACCESS_KEY_ID: 'LOCAL', AWS_SECRET_ACCESS_KEY: randomBytes(20).toString('hex') };
}
