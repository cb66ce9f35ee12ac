import { localStage } from '../../../../local/apigateway/stage';
import {
  FLUSH_SCHEDULE_GROUP,
  FLUSH_TARGETS_PATH,
  fallbackSdkCredentials,
  functionEnvironment,
  metricsEnvironment,
  sdkEnvironment,
} from '../../../../local/boot/lambda-environment';
import { readLocalConfig } from '../../../../local/boot/local-config';
import { ENV } from '../../../../src/config';
import { HANDLERS } from '../../../../src/routes';

describe('the environment of each function', () => {
  const config = readLocalConfig({ TABLE_NAME: 'keys', KEY_PREFIX: 'zk_test', AWS_REGION: 'eu-west-1' });
  const stage = localStage('eu-west-1');
  const flushNow = {
    [ENV.flushTargetsPath]: FLUSH_TARGETS_PATH,
    [ENV.flushQueueUrl]: 'http://127.0.0.1:3000/000000000000/authorizer-cache-flush',
  };
  const usage = {
    [ENV.usageKeyNamespace]: 'local',
    [ENV.usagePlans]: '{"default":"free","ids":{"free":"local-free","pro":"local-pro"}}',
  };
  const local = {
    server: 'http://127.0.0.1:3000',
    console: { issuer: 'http://127.0.0.1:3001', clientId: 'api-key-console', assetsDirectory: '/tmp/console' },
    usagePlans: { default: 'free', ids: { free: 'local-free', pro: 'local-pro' } },
  };

  it('points every SDK client at the local endpoints', () => {
    expect(sdkEnvironment(config, { dynamoDb: 'http://127.0.0.1:4567', server: 'http://127.0.0.1:3000' })).toEqual({
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567',
      AWS_ENDPOINT_URL_API_GATEWAY: 'http://127.0.0.1:3000',
      AWS_ENDPOINT_URL_SCHEDULER: 'http://127.0.0.1:3000',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:3000',
      AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:3000',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:3000',
    });
  });

  it('turns the EMF lines of Powertools Metrics off, unless POWERTOOLS_METRICS_DISABLED says otherwise', () => {
    expect(metricsEnvironment({})).toEqual({ POWERTOOLS_METRICS_DISABLED: 'true' });
    expect(metricsEnvironment({ POWERTOOLS_METRICS_DISABLED: 'false' })).toEqual({ POWERTOOLS_METRICS_DISABLED: 'false' });
  });

  it('gives each function only the settings its grants give it in AWS', () => {
    expect(functionEnvironment(HANDLERS.getKey, config, stage, local)).toEqual({ [ENV.tableName]: 'keys' });
    expect(functionEnvironment(HANDLERS.whoami, config, stage, local)).toEqual({});
    expect(functionEnvironment(HANDLERS.getUsage, config, stage, local)).toEqual({
      ...usage,
      [ENV.tenantTableName]: 'api-key-tenants',
    });
    const audit = {
      [ENV.tenantTableName]: 'api-key-tenants',
      [ENV.eventBusName]: 'default',
      [ENV.eventSource]: 'api-key-service',
      [ENV.auditRetentionSeconds]: String(400 * 24 * 60 * 60),
    };
    // A change's record goes into the item it changes; a delete delivers its key's records itself only when the key has no room.
    expect(functionEnvironment(HANDLERS.deleteKey, config, stage, local)).toEqual({
      [ENV.tableName]: 'keys',
      ...flushNow,
      ...audit,
    });
    expect(functionEnvironment(HANDLERS.rotateKey, config, stage, local)).not.toHaveProperty(ENV.eventBusName);
    expect(functionEnvironment(HANDLERS.listAudit, config, stage, local)).toEqual({
      [ENV.tableName]: 'keys',
      [ENV.tenantTableName]: 'api-key-tenants',
    });
    expect(functionEnvironment('auditDelivery', config, stage, local)).toEqual({ [ENV.tableName]: 'keys', ...audit });
    expect(functionEnvironment('auditSweeper', config, stage, local)).toEqual({ [ENV.tableName]: 'keys', ...audit });
    const scheduleExpiryWarnings = {
      [ENV.flushScheduleGroup]: FLUSH_SCHEDULE_GROUP,
      [ENV.flushScheduleRoleArn]: 'arn:aws:iam::000000000000:role/local-authorizer-cache-flush',
      [ENV.flushQueueArn]: 'arn:aws:sqs:eu-west-1:000000000000:authorizer-cache-flush',
      [ENV.flushDeadLetterQueueArn]: 'arn:aws:sqs:eu-west-1:000000000000:authorizer-cache-flush-dead-letters',
      [ENV.expiryWarningSeconds]: '604800',
      [ENV.expiryWarningQueueArn]: 'arn:aws:sqs:eu-west-1:000000000000:expiry-warnings',
    };
    expect(functionEnvironment(HANDLERS.createKey, config, stage, local)).toEqual({
      ...usage,
      [ENV.tableName]: 'keys',
      [ENV.keyPrefix]: 'zk_test',
      ...scheduleExpiryWarnings,
      [ENV.tenantTableName]: 'api-key-tenants',
    });
    // It schedules a key's warning again when the schedule was left on another expiry.
    expect(functionEnvironment('expiryWarner', config, stage, local)).toEqual({
      [ENV.tableName]: 'keys',
      ...scheduleExpiryWarnings,
    });
    expect(functionEnvironment('authorizer', config, stage, local)).toEqual({
      [ENV.tableName]: 'keys',
      [ENV.usageKeyNamespace]: usage[ENV.usageKeyNamespace],
      [ENV.metricsNamespace]: 'ApiKeyService',
    });
    expect(functionEnvironment(HANDLERS.verifyKey, config, stage, local)).toEqual({
      [ENV.tableName]: 'keys',
      [ENV.metricsNamespace]: 'ApiKeyService',
    });
    expect(functionEnvironment('flusher', config, stage, local)).toEqual(flushNow);
  });

  it('tells the console functions where the local OpenID provider and the built console are', () => {
    const signIn = {
      [ENV.consoleIssuer]: 'http://127.0.0.1:3001',
      [ENV.consoleClientId]: 'api-key-console',
      [ENV.consoleScopes]: 'orders:read orders:write',
    };
    expect(functionEnvironment('jwtAuthorizer', config, stage, local)).toEqual({
      ...signIn,
      [ENV.consoleTenantClaim]: 'custom:tenant',
    });
    expect(functionEnvironment(HANDLERS.consolePage, config, stage, local)).toEqual({
      ...signIn,
      [ENV.expiryWarningSeconds]: '604800',
      [ENV.consoleAssetsDir]: '/tmp/console',
      [ENV.consoleConnectSources]: 'http://127.0.0.1:3001',
      [ENV.consoleFrameAncestors]: "'none'",
    });
  });
});

describe('fallbackSdkCredentials', () => {
  it('makes throwaway credentials with the fixed access key id LOCAL when none are set', () => {
    expect(fallbackSdkCredentials({})).toEqual({
      AWS_ACCESS_KEY_ID: 'LOCAL',
      AWS_SECRET_ACCESS_KEY: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
  });

  it('leaves credentials or a profile from the environment alone', () => {
    expect(fallbackSdkCredentials({ AWS_ACCESS_KEY_ID: 'AKIA' })).toEqual({});
    expect(fallbackSdkCredentials({ AWS_PROFILE: 'dev' })).toEqual({});
  });
});
