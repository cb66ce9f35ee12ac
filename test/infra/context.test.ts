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
        expiryWarningSeconds: '86400',
        publicRevocationRateLimit: '2',
        publicRevocationBurstLimit: '3',
      });
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        MethodSettings: [
          Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
          Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1revoke', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 3 }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ EXPIRY_WARNING_SECONDS: '86400' }) },
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

  it(
    'takes the console sign-in: an issuer and client, the tenant claim, grantable scopes and frame ancestors',
    () => {
      const template = templateFor({
        consoleIssuer: 'https://login.example.com',
        consoleClientId: 'console',
        consoleTenantClaim: 'org',
        consoleScopes: 'orders:read  orders:write',
        consoleFrameAncestors: "'self' https://app.example.com",
      });
      template.resourceCountIs('AWS::Cognito::UserPool', 0);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            CONSOLE_ISSUER: 'https://login.example.com',
            CONSOLE_CLIENT_ID: 'console',
            CONSOLE_TENANT_CLAIM: 'org',
            CONSOLE_SCOPES: 'orders:read orders:write',
          }),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ CONSOLE_FRAME_ANCESTORS: "'self' https://app.example.com" }) },
      });
    },
    SYNTH_TIMEOUT_MS,
  );

  it.each([
    ['exampleOrders', 'maybe', /true or false/],
    ['authorizerCacheTtlSeconds', 'five', /must be a number/],
    ['throttlingRateLimit', '', /must be a number/],
    ['logRetentionDays', '31', /retention CloudWatch Logs offers/],
    ['apiGatewayCloudWatchRole', 'no', /true or false/],
    ['keyPrefix', '', /non-empty string/],
    ['expiryWarningSeconds', '30', /expiryWarning must be a whole number of seconds from a minute/],
    ['publicRevocationRateLimit', '5', /give both, or neither/],
  ])('refuses %s=%j with a clear message', (key, value, message) => {
    expect(() => buildApp(testApp({ context: { [key]: value } }))).toThrow(message);
  });
});
