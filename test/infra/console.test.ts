/** The console in the template: its sign-in (Cognito by default, or the operator's issuer), its authorizer and its page. */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiKeyService, type ApiKeyServiceProps } from '../../lib/api-key-service';
import { ENV } from '../../src/config';
import { arnOf, logicalId, permissionsOf, SYNTH_TIMEOUT_MS, testApp } from './helpers';

const EXTERNAL = {
  issuer: 'https://login.example.com/realms/acme',
  clientId: 'api-key-console',
  tenantClaim: 'org_id',
  grantableScopes: ['orders:read', 'orders:write'],
  frameAncestors: ["'self'", 'https://app.example.com'],
};

function synthesize(props: ApiKeyServiceProps = {}) {
  const stack = new Stack(testApp(), 'Console');
  const service = new ApiKeyService(stack, 'Service', props);
  return { service, template: Template.fromStack(stack) };
}

let cognito: ReturnType<typeof synthesize>;
let external: ReturnType<typeof synthesize>;

beforeAll(() => {
  cognito = synthesize();
  external = synthesize({ console: EXTERNAL });
}, SYNTH_TIMEOUT_MS);

const environmentOf = ({ template }: ReturnType<typeof synthesize>, id: string) =>
  template.findResources('AWS::Lambda::Function')[id].Properties.Environment.Variables;

describe('with no issuer given, a Cognito user pool for the console', () => {
  it('takes no self sign-up, has a tenant attribute, requires an authenticator app, and is retained', () => {
    cognito.template.resourceCountIs('AWS::Cognito::UserPool', 1);
    const [pool] = Object.values(cognito.template.findResources('AWS::Cognito::UserPool'));
    expect(pool).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        Schema: expect.arrayContaining([expect.objectContaining({ Name: 'tenant', AttributeDataType: 'String', Mutable: true })]),
        Policies: { PasswordPolicy: expect.objectContaining({ MinimumLength: 12, RequireSymbols: true }) },
      },
    });
  });

  it('has a public app client for the code flow with PKCE, back to the console, that cannot write the tenant', () => {
    const [client] = Object.values(cognito.template.findResources('AWS::Cognito::UserPoolClient'));
    expect(client.Properties).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email'],
      SupportedIdentityProviders: ['COGNITO'],
      ReadAttributes: ['custom:tenant', 'email', 'email_verified'],
      WriteAttributes: ['email'],
    });
    expect(JSON.stringify(client.Properties.CallbackURLs)).toContain('/v1/console');
  });

  it('has a hosted domain unique to the account', () => {
    const [domain] = Object.values(cognito.template.findResources('AWS::Cognito::UserPoolDomain'));
    expect(JSON.stringify(domain.Properties.Domain)).toContain('AWS::AccountId');
  });

  it('tells the JWT authorizer the pool, the client and custom:tenant, and grants it nothing but its logs', () => {
    const id = logicalId(cognito.service.consoleAuthorizerFunction);
    expect(environmentOf(cognito, id)).toEqual({
      [ENV.consoleIssuer]: { 'Fn::GetAtt': [logicalId(cognito.service.consoleSignIn.userPool!), 'ProviderURL'] },
      [ENV.consoleClientId]: { Ref: logicalId(cognito.service.consoleSignIn.userPoolClient!) },
      [ENV.consoleTenantClaim]: 'custom:tenant',
      [ENV.consoleScopes]: '',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    const role = cognito.template.findResources('AWS::Lambda::Function')[id].Properties.Role['Fn::GetAtt'][0];
    expect(permissionsOf(cognito.template, role).map(({ action }) => action)).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('puts the console API behind a REQUEST authorizer on Authorization that caches nothing', () => {
    const authorizer = Object.values(cognito.template.findResources('AWS::ApiGateway::Authorizer')).find(
      ({ Properties }) => Properties.IdentitySource === 'method.request.header.Authorization',
    );
    expect(authorizer?.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    expect(JSON.stringify(authorizer?.Properties.AuthorizerUri)).toContain(
      JSON.stringify(arnOf(logicalId(cognito.service.consoleAuthorizerFunction))),
    );
  });
});

describe("with the operator's own issuer", () => {
  it('makes no user pool, and tells both console functions the issuer, client, claim and scopes', () => {
    external.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(environmentOf(external, logicalId(external.service.consoleAuthorizerFunction))).toMatchObject({
      [ENV.consoleIssuer]: EXTERNAL.issuer,
      [ENV.consoleClientId]: EXTERNAL.clientId,
      [ENV.consoleTenantClaim]: 'org_id',
      [ENV.consoleScopes]: 'orders:read orders:write',
    });
    expect(environmentOf(external, logicalId(external.service.handlers.consolePage))).toMatchObject({
      [ENV.consoleIssuer]: EXTERNAL.issuer,
      [ENV.consoleConnectSources]: 'https://login.example.com',
      [ENV.consoleFrameAncestors]: "'self' https://app.example.com",
      [ENV.consoleAssetsDir]: 'console',
    });
  });
});

describe('console props validation', () => {
  const construct = (props: ApiKeyServiceProps['console']) => () =>
    new ApiKeyService(new Stack(testApp(), 'Invalid'), 'Service', { console: props });

  it.each([
    [{ issuer: 'https://idp.example' }, /go together/],
    [{ clientId: 'c' }, /go together/],
    [{ issuer: 'http://idp.example', clientId: 'c' }, /https/],
    [{ issuer: 'https://idp.example', clientId: 'c', cognitoDomainPrefix: 'x' }, /only to the Cognito/],
    [{ grantableScopes: ['Orders'] }, /not a scope/],
    [{ frameAncestors: ["'self'; script-src *"] }, /CSP source/],
    [{ tenantClaim: 'two words' }, /claim name/],
  ])('refuses %j', (props, message) => {
    expect(construct(props)).toThrow(message);
  });
});
