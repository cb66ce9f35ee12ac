import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CONTEXT, servicePropsFromContext } from '../../bin/service-app';
import { testApp } from './helpers';

const propsFor = (context: Record<string, unknown>) => servicePropsFromContext(testApp({ context }));

describe('the app reads the service options from CDK context', () => {
  it('leaves every option to the construct default when none is given', () => {
    expect(Object.values(propsFor({})).filter((value) => value !== undefined)).toEqual([]);
  });

  it('takes -c strings, as the CLI passes them', () => {
    expect(
      propsFor({
        [CONTEXT.keyPrefix]: 'zk_live',
        [CONTEXT.stageName]: 'prod',
        [CONTEXT.authorizerCacheTtlSeconds]: '0',
        [CONTEXT.throttlingRateLimit]: '50',
        [CONTEXT.throttlingBurstLimit]: '100',
        [CONTEXT.logRetentionDays]: '30',
        [CONTEXT.apiGatewayCloudWatchRole]: 'false',
      }),
    ).toEqual({
      keyPrefix: 'zk_live',
      stageName: 'prod',
      authorizerCacheTtl: Duration.seconds(0),
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      logRetention: RetentionDays.ONE_MONTH,
      apiGatewayCloudWatchRole: false,
    });
  });

  it('takes JSON values, as cdk.json holds them', () => {
    expect(propsFor({ [CONTEXT.authorizerCacheTtlSeconds]: 60, [CONTEXT.apiGatewayCloudWatchRole]: true })).toMatchObject({
      authorizerCacheTtl: Duration.seconds(60),
      apiGatewayCloudWatchRole: true,
    });
  });

  it.each([
    [CONTEXT.authorizerCacheTtlSeconds, 'five', /must be a number/],
    [CONTEXT.throttlingRateLimit, '', /must be a number/],
    [CONTEXT.logRetentionDays, '31', /retention CloudWatch Logs offers/],
    [CONTEXT.apiGatewayCloudWatchRole, 'no', /true or false/],
    [CONTEXT.keyPrefix, '', /non-empty string/],
  ])('refuses %s=%j with a clear message', (key, value, message) => {
    expect(() => propsFor({ [key]: value })).toThrow(message);
  });
});
