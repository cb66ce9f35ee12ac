import fc from 'fast-check';
import { isInvocationAllowed, parsePolicyDocument } from '../../local/apigateway/policy-evaluation';
import { createRouter } from '../../local/apigateway/router';
import { type AuthorizerPolicy, policyFor } from '../../src/authorizer-policy';
import { compileMethods, type ProtectedMethod, SERVICE_PROTECTED_METHODS } from '../../src/protected-methods';
import { ROUTES } from '../../src/routes';
import { ACCOUNT_ID, API_ID, methodArn, REGION, STAGE } from '../fixtures/events';

const STAGE_ARN = `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${STAGE}`;
const SERVICE = compileMethods(SERVICE_PROTECTED_METHODS);
const SELF_SERVICE = [
  'POST/keys',
  'GET/keys',
  'GET/keys/*',
  'PATCH/keys/*',
  'DELETE/keys/*',
  'POST/keys/*/rotate',
  'POST/keys/*/revoke',
  'GET/audit',
];

const statements = (policy: AuthorizerPolicy) => policy.Statement.map(({ Effect, Resource }) => ({ Effect, Resource }));
/** What API Gateway decides for a request under a policy (the local gateway's evaluation, tested on its own). */
const allows = (policy: AuthorizerPolicy, method: string, path: string) =>
  isInvocationAllowed(parsePolicyDocument(policy) ?? [], `${STAGE_ARN}/${method}${path}`);

describe('the method ARN a policy is for', () => {
  const ANY_KEY = compileMethods([{ method: 'GET', path: '/whoami' }]);
  const resourcesFor = (arn: string) => policyFor(arn, [], ANY_KEY).Statement.flatMap((statement) => statement.Resource);

  it('gives the stage of its partition, Region, account and API', () => {
    expect(resourcesFor('arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/v1/GET/whoami')).toEqual([
      'arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/v1/*',
    ]);
  });

  it('keeps colons in the path: only the first five separate the ARN fields', () => {
    expect(resourcesFor('arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/keys/urn:x:y')).toEqual([
      'arn:aws:execute-api:us-east-1:123456789012:abc123/v1/*',
    ]);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'arn:aws:lambda:us-east-1:1:function:x', 'arn:aws:execute-api:us-east-1:1:abc', 'not:an:arn']) {
      expect(() => resourcesFor(bad)).toThrow('Not an execute-api method ARN');
    }
  });
});

describe('the service’s own methods', () => {
  it('are the self-service routes with keys:manage, and /whoami and /usage with any valid key; admin routes are not among them', () => {
    expect(SERVICE.methods.flatMap((method) => method.patterns).sort()).toEqual(
      [...SELF_SERVICE, 'GET/whoami', 'GET/usage'].sort(),
    );
    for (const method of SERVICE_PROTECTED_METHODS)
      expect(method.scope).toBe(['/whoami', '/usage'].includes(method.path) ? undefined : 'keys:manage');
    expect(
      ROUTES.filter((r) => r.authorization === 'iam').every((r) => r.path.startsWith('/tenants/') || r.path === '/verify'),
    ).toBe(true);
    // Open routes are no key's to grant: the gateway lets them through without the authorizer.
    expect(ROUTES.filter((r) => r.authorization === 'none').map((r) => r.path)).toEqual([
      '/revoke',
      '/secret-scanning/github',
      '/openapi.json',
      '/console',
      '/console/{file}',
    ]);
  });

  it('give a keys:manage key the whole stage, in one resource', () => {
    expect(statements(policyFor(methodArn('GET', '/whoami'), ['keys:manage'], SERVICE))).toEqual([
      { Effect: 'Allow', Resource: [`${STAGE_ARN}/*`] },
    ]);
  });

  it('give a key without keys:manage /whoami and /usage alone', () => {
    const policy = policyFor(methodArn('GET', '/keys'), ['orders:read'], SERVICE);
    expect(statements(policy)).toEqual([{ Effect: 'Allow', Resource: [`${STAGE_ARN}/GET/whoami`, `${STAGE_ARN}/GET/usage`] }]);
    expect(allows(policy, 'DELETE', '/keys/key_1')).toBe(false);
  });
});

describe('policyFor', () => {
  const ORDERS = compileMethods([
    { method: 'GET', path: '/orders', scope: 'orders:read' },
    { method: 'POST', path: '/orders', scope: 'orders:write' },
    { method: 'GET', path: '/orders/{orderId}', scope: 'orders:read' },
    { method: 'GET', path: '/health' },
  ]);

  it('is the same whichever method triggered it, so an answer cached on one method is right for all', () => {
    const fromList = policyFor(`${STAGE_ARN}/GET/orders`, ['orders:read'], ORDERS);
    expect(policyFor(`${STAGE_ARN}/POST/orders`, ['orders:read'], ORDERS)).toEqual(fromList);
    expect(policyFor(`${STAGE_ARN}/GET/orders/7`, ['orders:read'], ORDERS)).toEqual(fromList);
    expect(allows(fromList, 'GET', '/orders/7')).toBe(true);
    expect(allows(fromList, 'POST', '/orders')).toBe(false);
  });

  it('is built for whichever API and stage asked, from the event ARN', () => {
    const policy = policyFor('arn:aws:execute-api:eu-west-1:210987654321:other9/prod/GET/orders', ['orders:read'], ORDERS);
    for (const resource of policy.Statement.flatMap((statement) => statement.Resource)) {
      expect(resource.startsWith('arn:aws:execute-api:eu-west-1:210987654321:other9/prod/')).toBe(true);
    }
  });

  it('denies the whole stage to a key that may call nothing', () => {
    const none = compileMethods([{ method: 'GET', path: '/orders', scope: 'orders:read' }]);
    expect(statements(policyFor(`${STAGE_ARN}/GET/orders`, [], none))).toEqual([
      { Effect: 'Deny', Resource: [`${STAGE_ARN}/*`] },
    ]);
  });

  it('denies a static path that a parameter pattern it allows would reach', () => {
    const methods = compileMethods([
      { method: 'GET', path: '/orders/{orderId}', scope: 'orders:read' },
      { method: 'GET', path: '/orders/export', scope: 'orders:admin' },
    ]);
    const reader = policyFor(`${STAGE_ARN}/GET/orders/1`, ['orders:read'], methods);
    expect(statements(reader)).toEqual([
      { Effect: 'Allow', Resource: [`${STAGE_ARN}/GET/orders/*`] },
      { Effect: 'Deny', Resource: [`${STAGE_ARN}/GET/orders/export`] },
    ]);
    expect(allows(reader, 'GET', '/orders/1')).toBe(true);
    expect(allows(reader, 'GET', '/orders/export')).toBe(false);
    // The admin may export, and a static Allow reaches nothing else: no Deny needed.
    const admin = policyFor(`${STAGE_ARN}/GET/orders/1`, ['orders:admin'], methods);
    expect(statements(admin)).toEqual([{ Effect: 'Allow', Resource: [`${STAGE_ARN}/GET/orders/export`] }]);
  });

  it('stays within a few kilobytes for 300 methods of one API with 30 scopes', () => {
    const methods = Array.from({ length: 300 }, (_, index) => ({
      method: ['GET', 'POST', 'PUT'][index % 3],
      path: `/resource${Math.floor(index / 3)}/{id}`,
      scope: `scope${index % 30}:read`,
    }));
    const compiled = compileMethods(methods);
    const half = Array.from({ length: 15 }, (_, index) => `scope${index}:read`);
    const policy = policyFor(`${STAGE_ARN}/GET/resource0/1`, half, compiled);
    expect(policy.Statement.flatMap((s) => s.Resource)).toHaveLength(150);
    expect(JSON.stringify(policy).length).toBeLessThan(16_000);
    expect(allows(policy, 'GET', '/resource0/1')).toBe(true);
    // Method 17, PUT /resource5/{id}, needs scope17:read, which the key lacks.
    expect(allows(policy, 'PUT', '/resource5/1')).toBe(false);
  });
});

describe('compileMethods', () => {
  it('refuses methods that no cached answer can tell apart, naming both', () => {
    // A greedy proxy anyone may call beneath a scoped parameter: denying the parameter's pattern
    // (GET/orders/*) would also deny the proxy's deeper paths.
    expect(() =>
      compileMethods([
        { method: 'ANY', path: '/{proxy+}' },
        { method: 'GET', path: '/orders/{orderId}', scope: 'orders:read' },
      ]),
    ).toThrow(expect.objectContaining({ name: 'AmbiguousMethodsError' }));
    expect(() =>
      compileMethods([
        { method: 'ANY', path: '/{proxy+}' },
        { method: 'GET', path: '/orders/{orderId}', scope: 'orders:read' },
      ]),
    ).toThrow(/GET \/orders\/\{orderId\} \(orders:read\) and ANY \/\{proxy\+\} \(any valid key\)/);
  });

  it('accepts overlaps that share a scope, and static paths beside parameters', () => {
    expect(() =>
      compileMethods([
        { method: 'ANY', path: '/{proxy+}', scope: 'orders:read' },
        { method: 'GET', path: '/orders/{orderId}', scope: 'orders:read' },
        { method: 'GET', path: '/orders/export', scope: 'orders:admin' },
      ]),
    ).not.toThrow();
  });

  it('names, for ANY, only the verbs its resource has no method of its own for', () => {
    const methods = compileMethods([
      { method: 'ANY', path: '/items/{id}', scope: 'items:write' },
      { method: 'GET', path: '/items/{id}', scope: 'items:read' },
    ]);
    expect(methods.methods[0].patterns).toEqual([
      'DELETE/items/*',
      'HEAD/items/*',
      'OPTIONS/items/*',
      'PATCH/items/*',
      'POST/items/*',
      'PUT/items/*',
    ]);
    const reader = policyFor(`${STAGE_ARN}/GET/items/1`, ['items:read'], methods);
    expect(allows(reader, 'GET', '/items/1')).toBe(true);
    expect(allows(reader, 'DELETE', '/items/1')).toBe(false);
  });

  it('refuses a method declared twice', () => {
    expect(() =>
      compileMethods([
        { method: 'GET', path: '/a' },
        { method: 'GET', path: '/a', scope: 'x' },
      ]),
    ).toThrow('GET /a is declared twice');
  });
});

/**
 * The property that matters: for any declarations compileMethods accepts, any key
 * and any request, the policy allows the request exactly when the method API
 * Gateway routes it to admits the key. Routing is the local gateway's router,
 * static segments before parameters, a named method before ANY.
 */
describe('exactness, for generated APIs', () => {
  const SEGMENTS = ['a', 'b', '{id}', '{proxy+}'];
  const SCOPES = ['s1', 's2', undefined];
  const methodArb = fc.record({
    method: fc.constantFrom('GET', 'POST', 'ANY'),
    path: fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 }).map((segments) => {
      const greedy = segments.indexOf('{proxy+}');
      return `/${(greedy >= 0 ? segments.slice(0, greedy + 1) : segments).join('/')}`;
    }),
    scope: fc.constantFrom(...SCOPES),
  });
  const requestArb = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT'),
    path: fc.array(fc.constantFrom('a', 'b', 'x'), { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
  });

  /** API Gateway's choice among matching methods: fewer parameters first, static before parameter per segment, then a named verb. */
  function routed(methods: readonly ProtectedMethod[], method: string, path: string): ProtectedMethod | undefined {
    const specificity = (m: ProtectedMethod) =>
      m.path
        .split('/')
        .map((segment) => (segment.endsWith('+}') ? '2' : segment.startsWith('{') ? '1' : '0'))
        .join('') + (m.method === 'ANY' ? '1' : '0');
    const candidates = methods.filter((m) => {
      if (m.method !== 'ANY' && m.method !== method) return false;
      const match = createRouter([{ method, path: m.path.replace(/\{proxy\+\}/, '{proxy}') }])(method, path);
      const greedy =
        m.path.endsWith('{proxy+}') && new RegExp(`^${m.path.replace('{proxy+}', '.+').replace(/\{id\}/g, '[^/]+')}$`).test(path);
      return match !== undefined || greedy;
    });
    return candidates.sort((x, y) => specificity(x).localeCompare(specificity(y)))[0];
  }

  it('allows exactly what the routed method admits', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(methodArb, { selector: (m) => `${m.method} ${m.path}`, minLength: 1, maxLength: 6 }),
        fc.subarray(['s1', 's2']),
        fc.array(requestArb, { minLength: 1, maxLength: 10 }),
        (declared, scopes, requests) => {
          const methods = declared.map(({ scope, ...rest }) => (scope === undefined ? rest : { ...rest, scope }));
          let compiled: ReturnType<typeof compileMethods>;
          try {
            compiled = compileMethods(methods);
          } catch (error) {
            if ((error as Error).name === 'AmbiguousMethodsError') return;
            throw error;
          }
          const policy = policyFor(`${STAGE_ARN}/GET/a`, scopes, compiled);
          for (const request of requests) {
            const target = routed(methods, request.method, request.path);
            // A request routed nowhere gets API Gateway's 403 before any authorizer.
            if (!target) continue;
            const admitted = target.scope === undefined || scopes.includes(target.scope);
            expect(allows(policy, request.method, request.path)).toBe(admitted);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
