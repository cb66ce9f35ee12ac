import { parseMethodArn, policyFor } from '../../src/authorizer-policy';
import { ROUTES, routeResourcePath } from '../../src/routes';
import { ACCOUNT_ID, API_ID, methodArn, REGION, STAGE } from '../fixtures/events';

const STAGE_ARN = `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${STAGE}`;
const resources = (policy: ReturnType<typeof policyFor>) => policy.Statement.map((s) => s.Resource).sort();

const SELF_SERVICE = ['POST/keys', 'GET/keys', 'GET/keys/*', 'PATCH/keys/*', 'DELETE/keys/*', 'POST/keys/*/rotate'];

describe('parseMethodArn', () => {
  it('splits account, API, stage, method and path', () => {
    expect(parseMethodArn('arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/whoami')).toEqual({
      partition: 'aws',
      region: 'us-east-1',
      accountId: '123456789012',
      apiId: 'abc123',
      stage: 'v1',
      method: 'GET',
      resourcePath: 'whoami',
    });
    expect(parseMethodArn('arn:aws-cn:execute-api:cn-north-1:123456789012:xyz/prod/DELETE/keys/key_1').resourcePath).toBe(
      'keys/key_1',
    );
  });

  it('keeps colons in the path: only the first five separate the ARN fields', () => {
    const arn = parseMethodArn('arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/keys/urn:x:y');
    expect(arn).toMatchObject({ accountId: '123456789012', apiId: 'abc123', method: 'GET', resourcePath: 'keys/urn:x:y' });
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      'arn:aws:lambda:us-east-1:1:function:x',
      'arn:aws:execute-api:us-east-1:1:abc',
      'arn:aws:execute-api:us-east-1:1:abc/v1',
      'not:an:arn',
    ]) {
      expect(() => parseMethodArn(bad)).toThrow();
    }
  });
});

describe('policyFor', () => {
  it('allows every apiKey route to a key with keys:manage, with * for path parameters', () => {
    const policy = policyFor(methodArn('GET', '/whoami'), { scopes: ['keys:manage'] }, API_ID);
    expect(policy.Version).toBe('2012-10-17');
    for (const statement of policy.Statement) {
      expect(statement).toEqual({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: expect.any(String) });
    }
    expect(resources(policy)).toEqual([...SELF_SERVICE, 'GET/whoami'].map((r) => `${STAGE_ARN}/${r}`).sort());
  });

  it('allows only the routes needing no scope to a key without keys:manage', () => {
    const policy = policyFor(methodArn('GET', '/keys'), { scopes: ['orders:read'] }, API_ID);
    expect(resources(policy)).toEqual([`${STAGE_ARN}/GET/whoami`]);
    expect(resources(policyFor(methodArn('GET', '/keys'), { scopes: [] }, API_ID))).toEqual([`${STAGE_ARN}/GET/whoami`]);
  });

  it('never allows admin (IAM) routes', () => {
    const policy = policyFor(methodArn('GET', '/whoami'), { scopes: ['keys:manage'] }, API_ID);
    expect(policy.Statement.some((s) => s.Resource.includes('/tenants'))).toBe(false);
  });

  it('is the same whichever route triggered it, so a cached result is right for all', () => {
    const scopes = { scopes: ['keys:manage', 'orders:read'] };
    const fromWhoami = policyFor(methodArn('GET', '/whoami'), scopes, API_ID);
    const fromDelete = policyFor(methodArn('DELETE', '/keys/key_01JD5Z00000000000000000001'), scopes, API_ID);
    expect(fromDelete).toEqual(fromWhoami);
  });

  it('builds resources from the event ARN: account, API id and stage', () => {
    const arn = 'arn:aws:execute-api:eu-west-1:210987654321:zzz999/prod/GET/whoami';
    const policy = policyFor(arn, { scopes: [] }, 'zzz999');
    expect(resources(policy)).toEqual(['arn:aws:execute-api:eu-west-1:210987654321:zzz999/prod/GET/whoami']);
  });

  it('allows a foreign API (one that borrowed the authorizer) stage-wide', () => {
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:other9/live/GET/orders/42';
    expect(policyFor(arn, { scopes: [] }, API_ID).Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:other9/live/*' },
    ]);
  });

  it('without a configured API id, applies the route policy', () => {
    expect(resources(policyFor(methodArn('GET', '/whoami'), { scopes: [] }))).toEqual([`${STAGE_ARN}/GET/whoami`]);
  });
});

describe('routes', () => {
  it('list DESIGN §3 and §11 routes, with keys:manage on self-service and none on whoami', () => {
    const apiKeyRoutes = ROUTES.filter((r) => r.authorization === 'apiKey');
    expect(apiKeyRoutes.map(routeResourcePath).sort()).toEqual([...SELF_SERVICE, 'GET/whoami'].sort());
    for (const route of apiKeyRoutes) expect(route.scope).toBe(route.path === '/whoami' ? undefined : 'keys:manage');
    expect(
      ROUTES.filter((r) => r.authorization === 'iam').every(
        (r) => r.path.startsWith('/tenants/{tenantId}/keys') || r.path === '/verify',
      ),
    ).toBe(true);
    // Open routes are no key's to grant: the gateway lets them through without the authorizer.
    expect(ROUTES.filter((r) => r.authorization === 'none').map(routeResourcePath)).toEqual(['GET/openapi.json']);
    expect(routeResourcePath({ method: 'POST', path: '/tenants/{tenantId}/keys/{keyId}/rotate' })).toBe(
      'POST/tenants/*/keys/*/rotate',
    );
  });
});
