import { ENV } from '../../../src/config';
import { FLUSH_SCHEDULE_GROUP, fallbackSdkCredentials, lambdaEnvironment } from '../../../local/lambda-environment';
import { readLocalConfig } from '../../../local/local-config';
import { localStage } from '../../../local/stage';

describe('lambdaEnvironment', () => {
  const config = readLocalConfig({ TABLE_NAME: 'keys', KEY_PREFIX: 'zk_test', AWS_REGION: 'eu-west-1' });
  const environment = lambdaEnvironment(config, localStage('eu-west-1'), { dynamoDb: 'http://127.0.0.1:4567', server: 'http://127.0.0.1:3000' });

  it('gives the handlers their table, prefix, API and stage', () => {
    expect(environment).toMatchObject({
      [ENV.tableName]: 'keys',
      [ENV.keyPrefix]: 'zk_test',
      [ENV.restApiId]: 'local',
      [ENV.stageName]: 'v1',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567',
    });
  });

  it('points their API Gateway and Scheduler clients at this server, with the schedule group and role they name', () => {
    expect(environment).toMatchObject({
      AWS_ENDPOINT_URL_API_GATEWAY: 'http://127.0.0.1:3000',
      AWS_ENDPOINT_URL_SCHEDULER: 'http://127.0.0.1:3000',
      [ENV.flushScheduleGroup]: FLUSH_SCHEDULE_GROUP,
      [ENV.flushScheduleRoleArn]: 'arn:aws:iam::000000000000:role/local-authorizer-cache-flush',
    });
    expect(FLUSH_SCHEDULE_GROUP).toBe('local');
  });
});

describe('fallbackSdkCredentials', () => {
  it('makes throwaway credentials with the fixed access key id LOCAL when none are set', () => {
    expect(fallbackSdkCredentials({})).toEqual({ AWS_ACCESS_KEY_ID: 'LOCAL', AWS_SECRET_ACCESS_KEY: expect.stringMatching(/^[0-9a-f]{40}$/) });
  });

  it('leaves credentials or a profile from the environment alone', () => {
    expect(fallbackSdkCredentials({ AWS_ACCESS_KEY_ID: 'AKIA' })).toEqual({});
    expect(fallbackSdkCredentials({ AWS_PROFILE: 'dev' })).toEqual({});
  });
});
