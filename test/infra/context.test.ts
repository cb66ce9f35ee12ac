/** The CDK app reads the service's options from CDK context: `-c name=value`, or cdk.json. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/service-app';
import { SYNTH_TIMEOUT_MS, testApp } from './helpers';

const templateFor = (context: Record<string, unknown>) => Template.fromStack(buildApp(testApp({ context })).service);

describe('the app reads the service options from CDK context', () => {
  it(
    'takes -c strings, as the CLI passes them',
    () => {
      const template = templateFor({
        keyPrefix: 'zk_live',
        stageName: 'prod',
        authorizerCacheTtlSeconds: '0',
        throttlingRateLimit: '50',
        throttlingBurstLimit: '100',
        logRetentionDays: '30',
        apiGatewayCloudWatchRole: 'false',
      });
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
      });
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ KEY_PREFIX: 'zk_live' }) },
      });
      for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup')))
        expect(logGroup.Properties.RetentionInDays).toBe(30);
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'takes JSON values, as cdk.json holds them, and names the stack',
    () => {
      const { service: stack, orders } = buildApp(
        testApp({ context: { authorizerCacheTtlSeconds: 60, apiGatewayCloudWatchRole: true, stackName: 'Staging' } }),
      );
      expect(stack.stackName).toBe('Staging');
      expect(orders?.stackName).toBe('Staging-ExampleOrders');
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
    },
    SYNTH_TIMEOUT_MS,
  );

  it('leaves the example orders API out with exampleOrders=false', () => {
    expect(buildApp(testApp({ context: { exampleOrders: 'false' } })).orders).toBeUndefined();
    expect(buildApp(testApp()).orders).toBeDefined();
  });

  it.each([
    ['exampleOrders', 'maybe', /true or false/],
    ['authorizerCacheTtlSeconds', 'five', /must be a number/],
    ['throttlingRateLimit', '', /must be a number/],
    ['logRetentionDays', '31', /retention CloudWatch Logs offers/],
    ['apiGatewayCloudWatchRole', 'no', /true or false/],
    ['keyPrefix', '', /non-empty string/],
  ])('refuses %s=%j with a clear message', (key, value, message) => {
    expect(() => buildApp(testApp({ context: { [key]: value } }))).toThrow(message);
  });
});
