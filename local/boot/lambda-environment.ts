import { randomBytes } from 'node:crypto';
import { ENV } from '../../src/config';
import type { HandlerDefinition } from '../../src/routes';
import type { Stage } from '../apigateway/stage';
import type { LocalConfig } from './local-config';

/** The schedule group the handlers create their cache-flush schedules in; the local Scheduler knows no other. */
export const FLUSH_SCHEDULE_GROUP = 'local';

export interface LocalEndpoints {
  dynamoDb: string;
  /** This server: it serves the API Gateway and Scheduler calls the handlers make. */
  server: string;
}

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
  };
}

/** A route handler, or one of the two authorizers, which are behind no route. */
export type FunctionDefinition = HandlerDefinition | 'authorizer' | 'jwtAuthorizer';

/** What the console's functions are told that exists only once local mode runs: its OpenID provider and the built assets. */
export interface LocalConsole {
  issuer: string;
  clientId: string;
  assetsDirectory: string;
}

/**
 * The settings one function gets, exactly as the construct's grants give them
 * in AWS: the table to whoever uses it, the key prefix to functions that issue
 * keys, the stage to functions that flush, the schedule group and role to
 * functions that schedule flushes, the identity provider to the JWT authorizer
 * and the console page. Nothing else, so a function that lacks a grant fails
 * here as it would deployed.
 */
export function functionEnvironment(
  definition: FunctionDefinition,
  config: LocalConfig,
  stage: Stage,
  localConsole: LocalConsole,
): Record<string, string> {
  const signIn = {
    [ENV.consoleIssuer]: localConsole.issuer,
    [ENV.consoleClientId]: localConsole.clientId,
    [ENV.consoleScopes]: config.console.scopes.join(' '),
  };
  if (definition === 'authorizer') return { [ENV.tableName]: config.tableName, [ENV.restApiId]: stage.restApiId };
  if (definition === 'jwtAuthorizer') return { ...signIn, [ENV.consoleTenantClaim]: config.console.tenantClaim };
  const env: Record<string, string> = {};
  if (definition.servesConsole) {
    Object.assign(env, signIn, {
      [ENV.consoleAssetsDir]: localConsole.assetsDirectory,
      [ENV.consoleConnectSources]: new URL(localConsole.issuer).origin,
      [ENV.consoleFrameAncestors]: config.console.frameAncestors,
    });
  }
  if (definition.tableActions.length > 0 || definition.indexActions.length > 0) env[ENV.tableName] = config.tableName;
  if (definition.tenantTableActions.length > 0) env[ENV.tenantTableName] = config.tenantTableName;
  if (definition.issuesKeys) env[ENV.keyPrefix] = config.keyPrefix;
  if (definition.invalidation.length > 0) {
    env[ENV.restApiId] = stage.restApiId;
    env[ENV.stageName] = stage.name;
  }
  if (definition.invalidation.includes('flushAt')) {
    env[ENV.flushScheduleGroup] = FLUSH_SCHEDULE_GROUP;
    env[ENV.flushScheduleRoleArn] = `arn:aws:iam::${stage.accountId}:role/local-authorizer-cache-flush`;
  }
  return env;
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
