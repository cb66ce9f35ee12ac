import { randomBytes } from 'node:crypto';
import { ENV } from '../../src/config';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../../src/domain/audit';
import { type FunctionGrants, grantHandler, ROUTELESS_GRANTS, type RoutelessFunction } from '../../src/function-grants';
import { DEFAULT_METRICS_NAMESPACE } from '../../src/metrics';
import type { HandlerDefinition } from '../../src/routes';
import type { Stage } from '../apigateway/stage';
import type { Credentials } from '../aws/sigv4';
import type { LocalConfig } from './local-config';

/** The schedule group the handlers create their cache-flush schedules in; the local Scheduler knows no other. */
export const FLUSH_SCHEDULE_GROUP = 'local';
/** Where the local stages are registered for cache flushes. */
export const FLUSH_TARGETS_PATH = '/api-key-service/local/targets';
/** Where the local REST API stages are registered for the usage plans. */
export const PLAN_STAGES_PATH = '/api-key-service/local/plan-stages';
export const FLUSH_QUEUE_NAME = 'authorizer-cache-flush';
/** The queue the expiry warnings' schedules put each warning on when it is due. */
export const EXPIRY_WARNING_QUEUE_NAME = 'expiry-warnings';
export const FLUSH_DEAD_LETTER_QUEUE_NAME = 'authorizer-cache-flush-dead-letters';
/** The deployment's part in each tenant's API key name and value (src/domain/usage-key.ts). */
export const USAGE_KEY_NAMESPACE = 'local';
/** The construct's defaults: the account's default bus, the service's own source, 400 days. */
const AUDIT_SETTINGS = {
  [ENV.eventBusName]: 'default',
  [ENV.eventSource]: 'api-key-service',
  [ENV.auditRetentionSeconds]: String(DEFAULT_AUDIT_RETENTION_DAYS * 24 * 60 * 60),
};

export interface LocalEndpoints {
  /** DYNAMODB_ENDPOINT, or this server, which serves the embedded DynamoDB to this process's own SDK credentials only. */
  dynamoDb: string;
  /** This server: it serves the AWS calls the functions make, other than DynamoDB's. */
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
    AWS_ENDPOINT_URL_SQS: endpoints.server,
    AWS_ENDPOINT_URL_SSM: endpoints.server,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.server,
  };
}

/**
 * Powertools Metrics writes one EMF line to stdout per verification: in AWS,
 * CloudWatch turns them into metrics; here they would drown the server's own
 * output, so they are off unless POWERTOOLS_METRICS_DISABLED is set (`false` shows them).
 */
export function metricsEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return { POWERTOOLS_METRICS_DISABLED: env.POWERTOOLS_METRICS_DISABLED ?? 'true' };
}

/** The flush queue and its dead-letter queue, as this server serves them. */
export function localQueueLocation(stage: Stage, server: string, name: string): { url: string; arn: string } {
  return { url: `${server}/${stage.accountId}/${name}`, arn: `arn:aws:sqs:${stage.region}:${stage.accountId}:${name}` };
}

/** What the console's functions are told that exists only once local mode runs: its OpenID provider and the built assets. */
export interface LocalConsole {
  issuer: string;
  clientId: string;
  assetsDirectory: string;
}

/**
 * The settings one function gets, exactly as the construct's grants give them
 * in AWS (src/function-grants.ts says which function gets which), with local
 * values: nothing else, so a function that lacks a grant fails here as it would deployed.
 */
export function functionEnvironment(
  fn: HandlerDefinition | RoutelessFunction,
  config: LocalConfig,
  stage: Stage,
  local: {
    server: string;
    console: LocalConsole;
    usagePlans: { default: string; ids: Record<string, string> };
    /**
     * Given to the functions with small AWS clients, which read credentials from the environment only
     * (see credentialsEnvironment): those that verify keys, and those that flush caches or schedule flushes.
     */
    smallClientCredentials?: Record<string, string>;
  },
): Record<string, string> {
  const env: Record<string, string> = {};
  const signIn = {
    [ENV.consoleIssuer]: local.console.issuer,
    [ENV.consoleClientId]: local.console.clientId,
    [ENV.consoleScopes]: config.console.scopes.join(' '),
  };
  const flushSchedules = {
    [ENV.flushScheduleGroup]: FLUSH_SCHEDULE_GROUP,
    [ENV.flushScheduleRoleArn]: `arn:aws:iam::${stage.accountId}:role/local-authorizer-cache-flush`,
    [ENV.flushQueueArn]: localQueueLocation(stage, local.server, FLUSH_QUEUE_NAME).arn,
    [ENV.flushDeadLetterQueueArn]: localQueueLocation(stage, local.server, FLUSH_DEAD_LETTER_QUEUE_NAME).arn,
  };
  const grants: FunctionGrants = {
    keyTable: () => Object.assign(env, { [ENV.tableName]: config.tableName }),
    verifyKeys: () =>
      Object.assign(
        env,
        { [ENV.tableName]: config.tableName, [ENV.metricsNamespace]: DEFAULT_METRICS_NAMESPACE },
        local.smallClientCredentials,
      ),
    deliverAudit: () => Object.assign(env, { [ENV.tableName]: config.tableName, [ENV.tenantTableName]: config.tenantTableName }),
    tenantTable: () => Object.assign(env, { [ENV.tenantTableName]: config.tenantTableName }),
    issueKeys: () => Object.assign(env, { [ENV.keyPrefix]: config.keyPrefix }),
    publishAudit: () => Object.assign(env, AUDIT_SETTINGS),
    flushNow: () =>
      Object.assign(
        env,
        {
          [ENV.flushTargetsPath]: FLUSH_TARGETS_PATH,
          [ENV.flushQueueUrl]: localQueueLocation(stage, local.server, FLUSH_QUEUE_NAME).url,
        },
        local.smallClientCredentials,
      ),
    scheduleFlush: () => Object.assign(env, local.smallClientCredentials, flushSchedules),
    // As the construct: the flush schedules' settings, and the window and queue of the warnings.
    scheduleExpiryWarnings: () =>
      Object.assign(env, local.smallClientCredentials, flushSchedules, {
        [ENV.expiryWarningSeconds]: String(config.expiryWarningSeconds),
        [ENV.expiryWarningQueueArn]: localQueueLocation(stage, local.server, EXPIRY_WARNING_QUEUE_NAME).arn,
      }),
    usagePlans: () =>
      Object.assign(env, {
        [ENV.usageKeyNamespace]: USAGE_KEY_NAMESPACE,
        [ENV.usagePlans]: JSON.stringify(local.usagePlans),
      }),
    usageIdentifier: () => Object.assign(env, { [ENV.usageKeyNamespace]: USAGE_KEY_NAMESPACE }),
    verifyConsoleUsers: () => Object.assign(env, signIn, { [ENV.consoleTenantClaim]: config.console.tenantClaim }),
    serveConsole: () =>
      Object.assign(env, signIn, {
        [ENV.expiryWarningSeconds]: String(config.expiryWarningSeconds),
        [ENV.consoleAssetsDir]: local.console.assetsDirectory,
        [ENV.consoleConnectSources]: new URL(local.console.issuer).origin,
        [ENV.consoleFrameAncestors]: config.console.frameAncestors,
      }),
    reconcileStages: () =>
      Object.assign(env, { [ENV.planStagesPath]: PLAN_STAGES_PATH, [ENV.metricsNamespace]: DEFAULT_METRICS_NAMESPACE }),
  };
  if (typeof fn === 'string') ROUTELESS_GRANTS[fn](grants);
  else grantHandler(fn, grants);
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

/**
 * The credentials the small AWS clients sign with where the environment holds
 * none (a profile signs the SDK's calls): those the SDK resolved when local mode
 * started, fixed from then on, as Lambda gives a function its credentials for
 * the environment's life. The small clients (the authorizer's and POST /verify's
 * DynamoDB client, the cache flush's and its schedules') read only the
 * environment, so temporary credentials of a profile serve them until they
 * expire, and a restart renews them.
 */
export function credentialsEnvironment(resolved: Credentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: resolved.accessKeyId,
    AWS_SECRET_ACCESS_KEY: resolved.secretAccessKey,
    ...(resolved.sessionToken ? { AWS_SESSION_TOKEN: resolved.sessionToken } : {}),
  };
}
