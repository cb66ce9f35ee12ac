/**
 * Protecting the operator's own APIs: a RestApi in another stack, one in the
 * service's stack, and an HTTP API, each with a scope per method; and 300
 * methods across several APIs within every AWS limit that applies.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { ApiKeyService } from '../../lib/api-key-service';
import { ApiKeyServiceStack } from '../../lib/api-key-service-stack';
import { MethodAccess } from '../../lib/method-access';
import type { ProtectedRestApi } from '../../lib/protected-rest-api';
import { MAX_STAGES_PER_USAGE_PLAN } from '../../lib/tenant-usage-plans';
import { policyFor } from '../../src/authorizer-policy';
import { compileMethods, decodeMethods, METHODS_VARIABLE_PREFIX } from '../../src/protected-methods';
import { HANDLERS } from '../../src/routes';
import { KEY_TABLE } from '../../src/store/table-schema';
import { httpApiApp, MANY_APIS, manyApisApp, manyMethodsApp, ORDERS, protectedApisApp, SCALE_SCOPES } from './apps';
import { logicalId, permissionsOf, SYNTH_TIMEOUT_MS, testApp } from './helpers';

/** The stage's variables, with the declarations the authorizer will decode from them. */
function stageOf(template: Template, apiId: string) {
  const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage')).filter(
    (resource) => resource.Properties.RestApiId.Ref === apiId,
  );
  return { variables: stage.Properties.Variables as Record<string, string>, name: stage.Properties.StageName as string };
}

const FLUSHING_HANDLERS = Object.values(HANDLERS).filter((definition) => definition.invalidation.includes('flushNow'));

let service: ApiKeyService;
let serviceTemplate: Template;
let consumerTemplate: Template;
let consumerApi: ProtectedRestApi;
let sameStackApi: ProtectedRestApi;
let reader: Role;

beforeAll(() => {
  const built = protectedApisApp();
  ({ service, consumerApi, sameStackApi, reader } = built);
  serviceTemplate = Template.fromStack(built.serviceStack);
  consumerTemplate = Template.fromStack(built.consumer);
}, SYNTH_TIMEOUT_MS);

describe('a RestApi in another stack', () => {
  const apiId = () => logicalId(consumerApi.api);

  it('gets its own REQUEST authorizer on x-api-key, backed by the service function, with the service TTL', () => {
    consumerTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    const [authorizer] = Object.values(consumerTemplate.findResources('AWS::ApiGateway::Authorizer')).map((r) => r.Properties);
    expect(authorizer).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.x-api-key',
      AuthorizerResultTtlInSeconds: 300,
      RestApiId: { Ref: apiId() },
    });
    expect(JSON.stringify(authorizer.AuthorizerUri)).toContain(logicalId(service.authorizerFunction));
  });

  it('puts every declared method, and no other, behind it', () => {
    const methods = Object.values(consumerTemplate.findResources('AWS::ApiGateway::Method')).map((r) => r.Properties);
    expect(methods).toHaveLength(ORDERS.length);
    for (const method of methods) {
      expect(method).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: expect.any(String) } });
    }
  });

  it('carries exactly its declarations to the authorizer in its stage variables', () => {
    const { variables } = stageOf(consumerTemplate, apiId());
    expect(Object.keys(variables).every((name) => name.startsWith(METHODS_VARIABLE_PREFIX))).toBe(true);
    expect(decodeMethods(variables)).toEqual(compileMethods(ORDERS));
    // And the policy the authorizer builds from them: a reader may GET, not POST.
    const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:orders1/prod/GET/orders';
    const policy = policyFor(methodArn, ['orders:read'], decodeMethods(variables)!);
    expect(policy.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: ['GET/orders', 'GET/orders/*', 'GET/health'].map(
          (pattern) => `arn:aws:execute-api:us-east-1:123456789012:orders1/prod/${pattern}`,
        ),
      },
    ]);
  });

  it('answers gateway errors as problem+json: 401 and 403 among them', () => {
    for (const [type, status] of [
      ['UNAUTHORIZED', '401'],
      ['ACCESS_DENIED', '403'],
      ['AUTHORIZER_CONFIGURATION_ERROR', '503'],
    ]) {
      consumerTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        RestApiId: { Ref: apiId() },
        ResponseType: type,
        StatusCode: status,
        ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
      });
    }
  });

  it("invokes the function through the service's invoke role, adding nothing to the function's resource policy", () => {
    consumerTemplate.resourceCountIs('AWS::Lambda::Permission', 0);
    const [authorizer] = Object.values(consumerTemplate.findResources('AWS::ApiGateway::Authorizer')).map((r) => r.Properties);
    expect(authorizer.AuthorizerCredentials).toEqual({
      'Fn::GetStackOutput': expect.objectContaining({
        StackName: 'Service',
        OutputName: expect.stringContaining(logicalId(service.authorizerInvokeRole)),
      }),
    });
    // The function's ARN whole, inside Fn::Join: a reference to another stack is valid nowhere else (cfn-lint E1022).
    expect(authorizer.AuthorizerUri).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':apigateway:',
          { Ref: 'AWS::Region' },
          ':lambda:path/2015-03-31/functions/',
          { 'Fn::GetStackOutput': expect.objectContaining({ StackName: 'Service' }) },
          '/invocations',
        ],
      ],
    });
    // The role may invoke the authorizer function, and only API Gateway may assume it.
    serviceTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }],
      },
    });
    expect(permissionsOf(serviceTemplate, logicalId(service.authorizerInvokeRole))).toEqual([
      { action: 'lambda:InvokeFunction', resource: { 'Fn::GetAtt': [logicalId(service.authorizerFunction), 'Arn'] } },
    ]);
  });

  it('registers its stage for cache flushes, and lets every flushing function flush exactly that stage', () => {
    const [parameter] = Object.values(consumerTemplate.findResources('AWS::SSM::Parameter'))
      .map((r) => r.Properties)
      .filter((candidate) => String(candidate.Name).startsWith(`${service.cacheFlush.targetsPath}/`));
    expect(parameter.Value).toEqual({
      'Fn::Join': ['', ['{"kind":"rest","apiId":"', { Ref: apiId() }, '","stageName":"prod"}']],
    });
    // One managed policy for the stack's stages: no role's inline policies grow with them.
    const [policy] = Object.values(consumerTemplate.findResources('AWS::IAM::ManagedPolicy'));
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'apigateway:DELETE',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':apigateway:',
              { Ref: 'AWS::Region' },
              '::/restapis/',
              { Ref: apiId() },
              '/stages/prod/cache/authorizers',
            ],
          ],
        },
      },
    ]);
    // The flushing handlers and the flusher, from the service's stack.
    expect(policy.Properties.Roles).toHaveLength(FLUSHING_HANDLERS.length + 1);
    // Each a reference to the service stack's output: the consumer depends on the service, not the other way.
    for (const role of policy.Properties.Roles) {
      expect(role).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ StackName: 'Service' }) });
    }
  });

  it("counts its requests against the tenants' plans: key source AUTHORIZER, every method requiring the key, its stage linked to each plan", () => {
    expect(consumerTemplate.findResources('AWS::ApiGateway::RestApi')[apiId()].Properties.ApiKeySourceType).toBe('AUTHORIZER');
    for (const { Properties } of Object.values(consumerTemplate.findResources('AWS::ApiGateway::Method'))) {
      expect(Properties.ApiKeyRequired).toBe(true);
    }
    const [link] = Object.values(consumerTemplate.findResources('Custom::UsagePlanStages')).map((r) => r.Properties);
    // The service's usage plans, imported from its stack: the consumer depends on the service, not the reverse.
    expect(link.UsagePlanIds).toHaveLength(Object.keys(service.usagePlans.usagePlans).length);
    for (const id of link.UsagePlanIds) {
      expect(id).toEqual({
        'Fn::GetStackOutput': expect.objectContaining({
          OutputName: expect.stringContaining('UsagePlans'),
          StackName: 'Service',
        }),
      });
    }
    expect(link.Stages).toHaveLength(1);
    expect(JSON.stringify(link.Stages)).toContain(apiId());
    // And registered, in the consumer's stack, where the reconciler finds it.
    const [registration] = Object.values(consumerTemplate.findResources('AWS::SSM::Parameter'))
      .map((r) => r.Properties)
      .filter((candidate) => String(candidate.Name).startsWith(`${service.usagePlans.stagesPath}/`));
    expect(JSON.stringify(registration.Value)).toContain(apiId());
    // Its own linking function, in its own stack.
    expect(Object.keys(consumerTemplate.findResources('AWS::Lambda::Function'))).toContain(link.ServiceToken['Fn::GetAtt'][0]);
  });

  it('leaves the service stack referring to nothing in it, so the stacks form no cycle', () => {
    const serviceJson = JSON.stringify(serviceTemplate.toJSON());
    expect(serviceJson).not.toContain(apiId());
    expect(serviceJson).not.toContain('Consumer');
  });
});

describe('a RestApi in the service stack', () => {
  it('gets its own authorizer with its own TTL, and its stage is registered beside the service stage', () => {
    serviceTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: { Ref: logicalId(sameStackApi.api) },
      AuthorizerResultTtlInSeconds: 30,
    });
    const flushTargets = Object.values(serviceTemplate.findResources('AWS::SSM::Parameter')).filter((parameter) =>
      String(parameter.Properties.Name).startsWith(`${service.cacheFlush.targetsPath}/`),
    );
    expect(flushTargets).toHaveLength(2);
    // Both in the stack's one policy of stages to flush.
    const [flushPolicy] = Object.values(serviceTemplate.findResources('AWS::IAM::ManagedPolicy'));
    const flushed = JSON.stringify(flushPolicy.Properties.PolicyDocument);
    expect(flushed).toContain(logicalId(sameStackApi.api));
    expect(flushed).toContain(logicalId(service.api));
    // Both linked to the plans by the stack's one link.
    const [link] = Object.values(serviceTemplate.findResources('Custom::UsagePlanStages'));
    expect(link.Properties.Stages).toHaveLength(2);
  });
});

describe('an HTTP API', () => {
  function httpStack(cacheTtl?: Duration) {
    const { stack, api } = httpApiApp(cacheTtl);
    return { template: Template.fromStack(stack), api };
  }

  it('gets a Lambda authorizer answering IAM policies (payload 1.0) on x-api-key, uncached by default', () => {
    const { template } = httpStack();
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '1.0',
      IdentitySource: ['$request.header.x-api-key'],
      AuthorizerResultTtlInSeconds: 0,
      // Invoked through the service's role: nothing added to the function's resource policy.
      AuthorizerCredentialsArn: { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'Home' }) },
    });
    template.resourceCountIs('AWS::Lambda::Permission', 0);
    template.resourceCountIs('AWS::SSM::Parameter', 0);
    for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
      expect(route.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: expect.any(String) } });
    }
  });

  it('carries its declarations in its stage variables', () => {
    const { template } = httpStack();
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')).map((r) => r.Properties);
    expect(decodeMethods(stage.StageVariables)).toEqual(
      compileMethods([
        { method: 'GET', path: '/widgets', scope: 'widgets:read' },
        { method: 'DELETE', path: '/widgets/{id}', scope: 'widgets:write' },
      ]),
    );
  });

  it('with a cache TTL, is registered for flushes (ResetAuthorizersCache on $default)', () => {
    const { template, api } = httpStack(Duration.minutes(1));
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter')).map((r) => r.Properties);
    expect(parameter.Value).toEqual({
      'Fn::Join': ['', ['{"kind":"http","apiId":"', { Ref: logicalId(api) }, '","stageName":"$default"}']],
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).toContain('/stages/$default/cache/authorizers');
  });
});

describe('guards', () => {
  const fresh = () => {
    const app = testApp();
    const home = new ApiKeyServiceStack(app, 'Home');
    return { app, home, stack: new Stack(app, 'Mine') };
  };

  it('refuses an API in another account or Region', () => {
    const app = testApp();
    const home = new ApiKeyServiceStack(app, 'Home', { env: { account: '111111111111', region: 'eu-west-1' } });
    const elsewhere = new Stack(app, 'Elsewhere', { env: { account: '222222222222', region: 'eu-west-1' } });
    expect(() => home.service.protectRestApi(new RestApi(elsewhere, 'Api'))).toThrow(/same account and Region/);
  });

  it('refuses authorization options, a resource of another API, and an API without a deployment stage', () => {
    const { home, stack } = fresh();
    const api = new RestApi(stack, 'Api', { cloudWatchRole: false });
    const keys = home.service.protectRestApi(api);
    const other = new RestApi(stack, 'Other', { cloudWatchRole: false });
    expect(() =>
      keys.addMethod(api.root, 'GET', new MockIntegration(), MethodAccess.anyValidKey(), { authorizationType: 'NONE' } as never),
    ).toThrow(/authorization options/);
    expect(() => keys.addMethod(other.root, 'GET', new MockIntegration(), MethodAccess.anyValidKey())).toThrow(/another API/);
    expect(() => home.service.protectRestApi(new RestApi(stack, 'Undeployed', { deploy: false }))).toThrow(/no deployment stage/);
  });

  it('refuses scopes that are not literals keys can hold', () => {
    expect(() => MethodAccess.scope('Orders Read')).toThrow(/is not a scope keys can hold/);
  });

  it('fails the synth for methods no cached answer can tell apart, naming them', () => {
    const { home, stack } = fresh();
    const api = new RestApi(stack, 'Api', { cloudWatchRole: false });
    const keys = home.service.protectRestApi(api);
    keys.addMethod(api.root.resourceForPath('/{proxy+}'), 'ANY', new MockIntegration(), MethodAccess.anyValidKey());
    keys.addMethod(api.root.resourceForPath('/orders/{id}'), 'GET', new MockIntegration(), MethodAccess.scope('orders:read'));
    expect(() => Template.fromStack(stack)).toThrow(/cannot be told apart/);
  });

  it('fails the synth when the stage already uses a variable the declarations need', () => {
    const { home, stack } = fresh();
    const api = new RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { variables: { apiKeyMethods0: 'mine' } } });
    home.service.protectRestApi(api).addMethod(api.root, 'GET', new MockIntegration(), MethodAccess.anyValidKey());
    expect(() => Template.fromStack(stack)).toThrow(/reserved for the API key declarations/);
  });

  it('keeps the stage’s own variables beside the declarations', () => {
    const { home, stack } = fresh();
    const api = new RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { variables: { backend: 'blue' } } });
    home.service.protectRestApi(api).addMethod(api.root, 'GET', new MockIntegration(), MethodAccess.anyValidKey());
    expect(stageOf(Template.fromStack(stack), logicalId(api)).variables).toMatchObject({ backend: 'blue' });
  });

  it('leaves a gateway response the API defines itself alone', () => {
    const { home, stack } = fresh();
    const api = new RestApi(stack, 'Api', { cloudWatchRole: false });
    api.addGatewayResponse('Mine', { type: { responseType: 'UNAUTHORIZED' } as never, statusCode: '401' });
    home.service.protectRestApi(api).addMethod(api.root, 'GET', new MockIntegration(), MethodAccess.anyValidKey());
    const unauthorized = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::GatewayResponse')).filter(
      (r) => r.Properties.ResponseType === 'UNAUTHORIZED',
    );
    expect(unauthorized).toHaveLength(1);
  });
});

describe('grantReadKeys', () => {
  it('grants GetItem on the table and Query on the byTenant index, and no write', () => {
    const tableId = logicalId(service.table);
    const granted = permissionsOf(consumerTemplate, logicalId(reader)).map(({ action, resource }) => ({
      action,
      resource: JSON.stringify(resource),
    }));
    expect(granted).toEqual([
      { action: 'dynamodb:GetItem', resource: expect.not.stringContaining('/index/') },
      { action: 'dynamodb:Query', resource: expect.stringContaining(`/index/${KEY_TABLE.byTenantIndex.name}`) },
    ]);
    for (const { resource } of granted) expect(resource).toContain(tableId);
  });
});

/**
 * 300 protected methods across four APIs in three stacks. The limits checked, from "Quotas for configuring and
 * running a REST API" and "... an HTTP API" (API Gateway Developer Guide) and "Lambda quotas":
 * resources per REST API 300, routes per HTTP API 300, stage variables per stage 100, 512 characters a value,
 * the characters a value may hold, 4 KB of environment per function, 20 KB of resource-based policy per function.
 */
describe('scale: 300 methods', () => {
  let templates: Template[];
  let serviceOfScale: Template;
  const declared: { api: string; methods: { method: string; path: string; scope: string }[] }[] = [];

  beforeAll(() => {
    const built = manyMethodsApp();
    for (const { api, methods } of built.declared) declared.push({ api: logicalId(api), methods });
    templates = [Template.fromStack(built.stacks[0]), Template.fromStack(built.stacks[1])];
    serviceOfScale = Template.fromStack(built.home);
  }, SYNTH_TIMEOUT_MS * 3);

  it('synthesizes, each stage within the stage variable limits', () => {
    const stages = [...templates, serviceOfScale].flatMap((template) => [
      ...Object.values(template.findResources('AWS::ApiGateway::Stage')).map((r) => r.Properties.Variables),
      ...Object.values(template.findResources('AWS::ApiGatewayV2::Stage')).map((r) => r.Properties.StageVariables),
    ]);
    expect(stages).toHaveLength(5);
    for (const variables of stages as Record<string, string>[]) {
      expect(Object.keys(variables).length).toBeLessThanOrEqual(100);
      for (const value of Object.values(variables)) {
        expect(value.length).toBeLessThanOrEqual(512);
        expect(value).toMatch(/^[A-Za-z0-9\-._~:/?#&=,]+$/);
      }
    }
  });

  it('keeps each REST API within 300 resources', () => {
    for (const template of [...templates, serviceOfScale]) {
      const resources = template.findResources('AWS::ApiGateway::Resource');
      const byApi = new Map<string, number>();
      for (const resource of Object.values(resources)) {
        const api = JSON.stringify(resource.Properties.RestApiId);
        byApi.set(api, (byApi.get(api) ?? 0) + 1);
      }
      for (const count of byApi.values()) expect(count).toBeLessThanOrEqual(300);
    }
  });

  it('leaves the authorizer’s environment as small as without them, far below 4 KB', () => {
    const authorizer =
      serviceOfScale.findResources('AWS::Lambda::Function')[
        Object.keys(serviceOfScale.findResources('AWS::Lambda::Function')).find((id) => id.includes('Authorizer')) as string
      ];
    expect(JSON.stringify(authorizer.Properties.Environment.Variables).length).toBeLessThan(400);
  });

  it("adds nothing to the authorizer's resource policy (20 KB), however many APIs it protects", () => {
    for (const template of [...templates, serviceOfScale]) {
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((r) =>
        /ApiKeyServiceAuthorizer/.test(JSON.stringify(r.Properties.FunctionName)),
      );
      expect(permissions).toEqual([]);
    }
  });

  it('gives every key a policy of a few kilobytes, for any set of scopes', () => {
    for (const { methods } of declared) {
      const compiled = compileMethods(methods);
      for (let held = 0; held <= SCALE_SCOPES.length; held++) {
        const policy = policyFor(
          'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/x',
          SCALE_SCOPES.slice(0, held),
          compiled,
        );
        expect(JSON.stringify(policy).length).toBeLessThan(8_000);
      }
    }
  });
});

/**
 * Limits a deployment would meet only at deploy, each checked at synth by the construct, with a message that
 * names it: IAM's inline policies per role, Lambda's environment, a stage variable's length, stages per usage plan;
 * and the one the construct avoids instead: the authorizer function's resource-based policy (20 KB).
 */
describe(`scale: ${MANY_APIS.apis} REST APIs in ${MANY_APIS.stacks} stacks`, () => {
  let built: ReturnType<typeof manyApisApp>;
  let templates: Template[];
  let homeTemplate: Template;

  beforeAll(() => {
    built = manyApisApp();
    templates = built.stacks.map((stack) => Template.fromStack(stack));
    homeTemplate = Template.fromStack(built.home);
  }, SYNTH_TIMEOUT_MS * 2);

  it('synthesizes, adding nothing to the authorizer function’s resource policy', () => {
    for (const template of [...templates, homeTemplate]) {
      const onAuthorizer = Object.values(template.findResources('AWS::Lambda::Permission')).filter((permission) =>
        JSON.stringify(permission.Properties.FunctionName).includes(logicalId(built.home.service.authorizerFunction)),
      );
      expect(onAuthorizer).toEqual([]);
    }
  });

  it('links each stack’s stages with one custom resource, and registers every stage', () => {
    for (const template of templates) {
      const [link] = Object.values(template.findResources('Custom::UsagePlanStages'));
      expect(link.Properties.Stages).toHaveLength(MANY_APIS.apis / MANY_APIS.stacks);
      const registrations = Object.values(template.findResources('AWS::SSM::Parameter')).filter((parameter) =>
        String(parameter.Properties.Name).startsWith(`${built.home.service.usagePlans.stagesPath}/`),
      );
      expect(registrations).toHaveLength(MANY_APIS.apis / MANY_APIS.stacks);
    }
  });

  it('lets the flushing functions flush every stage through one managed policy per stack, so no role’s inline policies grow', () => {
    for (const template of templates) {
      const [policy, ...others] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
      expect(others).toEqual([]);
      expect(policy.Properties.PolicyDocument.Statement).toEqual([
        expect.objectContaining({ Action: 'apigateway:DELETE', Resource: expect.any(Array) }),
      ]);
      expect(policy.Properties.PolicyDocument.Statement[0].Resource).toHaveLength(MANY_APIS.apis / MANY_APIS.stacks);
      expect(JSON.stringify(policy.Properties.PolicyDocument).length).toBeLessThan(6_144);
      const inline = Object.values(template.findResources('AWS::IAM::Policy')).filter((candidate) =>
        JSON.stringify(candidate).includes('/cache/authorizers'),
      );
      expect(inline).toEqual([]);
    }
  });
});

describe('limits, checked at synth', () => {
  const home = () => {
    const app = testApp();
    return { app, service: new ApiKeyServiceStack(app, 'Home').service };
  };

  it("fails when a stack's policy of stages to flush could pass IAM's 6,144 characters, naming the limit", () => {
    const { app, service } = home();
    const stack = new Stack(app, 'Cached');
    for (let index = 0; index < 70; index++) {
      service.cacheFlush.registerRestStage(stack, `Stage${index}`, `api${String(index).padStart(7, '0')}`, 'v1');
    }
    expect(() => app.synth()).toThrow(/IAM allows 6144 \(managed policy size\)/);
  });

  it('fails when more stacks hold cached stages than a role may have managed policies, naming the limit', () => {
    const { app, service } = home();
    for (let index = 0; index < 10; index++) {
      service.cacheFlush.registerRestStage(
        new Stack(app, `Cached${index}`),
        'Stage',
        `api${String(index).padStart(7, '0')}`,
        'v1',
      );
    }
    // The service's own stage, and ten stacks'.
    expect(() => app.synth()).toThrow(/11 stacks hold protected stages.*IAM allows 10 \(managed policies per role\)/);
  });

  it("fails when a function's environment could pass Lambda's 4 KB, naming the limit", () => {
    const plans = Object.fromEntries(
      Array.from({ length: 60 }, (_, index) => [
        `plan-${String(index).padStart(2, '0')}-${'x'.repeat(24)}`,
        { rateLimit: 1, burstLimit: 1 },
      ]),
    );
    const stack = new Stack(testApp(), 'ManyPlans');
    new ApiKeyService(stack, 'Service', { plans: { default: Object.keys(plans)[0], plans } });
    expect(() => Template.fromStack(stack)).toThrow(/Lambda allows 4096 \(4 KB of environment variables per function\)/);
  });

  it('fails when a stage variable would pass 512 characters, naming the limit', () => {
    const { app, service } = home();
    const stack = new Stack(app, 'Mine');
    const api = new RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { variables: { backend: 'b'.repeat(513) } } });
    service.protectRestApi(api).addMethod(api.root, 'GET', new MockIntegration(), MethodAccess.anyValidKey());
    expect(() => Template.fromStack(stack)).toThrow(/backend \(513 characters\).*512 characters a stage variable value/);
  });

  it(
    `fails when the usage plans would cover more than ${MAX_STAGES_PER_USAGE_PLAN} stages, naming the limit`,
    () => {
      const { app, service } = home();
      const stacks = Array.from({ length: 3 }, (_, index) => new Stack(app, `Stages${index}`));
      // With the service's own stage, one more than the limit.
      for (let index = 0; index < MAX_STAGES_PER_USAGE_PLAN; index++) {
        const api = new RestApi(stacks[index % stacks.length], `Api${index}`, { cloudWatchRole: false });
        api.root.addMethod('GET', new MockIntegration());
        service.usagePlans.addStage(api, 'Plans', api, api.deploymentStage);
      }
      expect(() => app.synth()).toThrow(
        new RegExp(`cover ${MAX_STAGES_PER_USAGE_PLAN + 1} protected REST API stages.*stages per usage plan`),
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});
