import { randomBytes } from 'node:crypto';
import { ENV } from '../src/config';
import type { LocalConfig } from './local-config';
import type { Stage } from './stage';

/**
 * What the deployed Lambdas find in their environment, pointed at local
 * endpoints: the handlers and the SDK clients they build read it unchanged.
 */
export function lambdaEnvironment(config: LocalConfig, stage: Stage, dynamoDbEndpoint: string): Record<string, string> {
  return {
    [ENV.tableName]: config.tableName,
    [ENV.keyPrefix]: config.keyPrefix,
    [ENV.restApiId]: stage.restApiId,
    [ENV.stageName]: stage.name,
    AWS_REGION: config.region,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
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
