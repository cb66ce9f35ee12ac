import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, type RequestAuthorizer, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import type { ApiKeyService } from '../../lib/api-key-service';
import { ApiKeyServiceStack } from '../../lib/api-key-service-stack';
import { KEY_TABLE } from '../../src/store/table-schema';
import { arnOf, logicalId, permissionsOf, SYNTH_TIMEOUT_MS, testApp } from './helpers';

/** A partner's RestApi whose GET /orders is behind the service's authorizer. */
function partnerApi(scope: Stack, id: string, authorizer: RequestAuthorizer): RestApi {
  const api = new RestApi(scope, id, { deploy: true, cloudWatchRole: false });
  api.root.addResource('orders').addMethod('GET', new MockIntegration(), { authorizer });
  return api;
}

let serviceStack: ApiKeyServiceStack;
let service: ApiKeyService;
let serviceTemplate: Template;
let consumer: Stack;
let consumerTemplate: Template;
let consumerAuthorizer: RequestAuthorizer;
let sameStackAuthorizer: RequestAuthorizer;
let reader: Role;

beforeAll(() => {
  const app = testApp();
  serviceStack = new ApiKeyServiceStack(app, 'Service');
  service = serviceStack.service;
  // Another stack of the same app...
  consumer = new Stack(app, 'Consumer');
  consumerAuthorizer = service.createAuthorizer(consumer, 'KeyAuthorizer');
  partnerApi(consumer, 'PartnerApi', consumerAuthorizer);
  reader = new Role(consumer, 'Reader', { assumedBy: new AccountRootPrincipal() });
  service.grantReadKeys(reader);
  // ...and a second API in the service's own stack.
  sameStackAuthorizer = service.createAuthorizer(serviceStack, 'InternalKeyAuthorizer');
  partnerApi(serviceStack, 'InternalApi', sameStackAuthorizer);

  serviceTemplate = Template.fromStack(serviceStack);
  consumerTemplate = Template.fromStack(consumer);
}, SYNTH_TIMEOUT_MS);

describe('createAuthorizer, for a RestApi in another stack', () => {
  it('adds a REQUEST authorizer on x-api-key to that API, backed by the same function and TTL', () => {
    consumerTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    const [authorizer] = Object.values(consumerTemplate.findResources('AWS::ApiGateway::Authorizer')).map(
      ({ Properties }) => Properties,
    );
    expect(authorizer).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.x-api-key',
      AuthorizerResultTtlInSeconds: service.authorizerCacheTtl.toSeconds(),
      RestApiId: { Ref: logicalId(consumer.node.findChild('PartnerApi')) },
    });
    // A cross-stack reference to the service's authorizer function.
    expect(JSON.stringify(authorizer.AuthorizerUri)).toContain(logicalId(service.authorizerFunction));
  });

  it("puts the partner's method behind it", () => {
    consumerTemplate.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: logicalId(consumerAuthorizer) },
    });
  });

  it('lets that API, and only through that authorizer, invoke the function, from the consumer stack', () => {
    const permissions = Object.values(consumerTemplate.findResources('AWS::Lambda::Permission')).map(
      ({ Properties }) => Properties,
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    expect(JSON.stringify(permissions[0].FunctionName)).toContain(logicalId(service.authorizerFunction));
    const sourceArn = JSON.stringify(permissions[0].SourceArn);
    expect(sourceArn).toContain(JSON.stringify({ Ref: logicalId(consumer.node.findChild('PartnerApi')) }));
    expect(sourceArn).toContain(JSON.stringify({ Ref: logicalId(consumerAuthorizer) }));
  });

  it('leaves the service stack referring to nothing in the consumer, so the stacks form no cycle', () => {
    const serviceJson = JSON.stringify(serviceTemplate.toJSON());
    for (const construct of [consumer.node.findChild('PartnerApi'), consumerAuthorizer])
      expect(serviceJson).not.toContain(logicalId(construct));
  });
});

describe('createAuthorizer, for a RestApi in the service stack', () => {
  it('backs that API with the same function, with its own invoke permission', () => {
    const internalApiId = logicalId(serviceStack.node.findChild('InternalApi'));
    // The service's own two (x-api-key and the console's JWT authorizer), and this API's.
    serviceTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 3);
    serviceTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: { Ref: internalApiId },
      IdentitySource: 'method.request.header.x-api-key',
    });
    const invokers = Object.values(serviceTemplate.findResources('AWS::Lambda::Permission'))
      .map(({ Properties }) => Properties)
      .filter((permission) =>
        JSON.stringify(permission.SourceArn).includes(JSON.stringify({ Ref: logicalId(sameStackAuthorizer) })),
      );
    expect(invokers).toHaveLength(1);
    expect(invokers[0].FunctionName).toEqual(arnOf(logicalId(service.authorizerFunction)));
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

describe('createAuthorizer guards', () => {
  it('refuses a scope in another account or Region, which the function permission cannot reach', () => {
    const app = testApp();
    const home = new ApiKeyServiceStack(app, 'Home', { env: { account: '111111111111', region: 'eu-west-1' } });
    const elsewhere = new Stack(app, 'Elsewhere', { env: { account: '222222222222', region: 'eu-west-1' } });
    expect(() => home.service.createAuthorizer(elsewhere, 'KeyAuthorizer')).toThrow(/same account and Region/);
  });
});
