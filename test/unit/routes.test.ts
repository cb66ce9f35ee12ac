import { ROUTES, routeFor, routePath } from '../../src/routes';

describe('routeFor', () => {
  it("finds a handler's one route behind an authorization", () => {
    expect(routeFor('rotateKey', 'apiKey')).toMatchObject({ method: 'POST', path: '/keys/{keyId}/rotate' });
    expect(routeFor('rotateKey', 'iam')).toMatchObject({ path: '/tenants/{tenantId}/keys/{keyId}/rotate' });
  });

  it('refuses a handler with no route, or more than one, behind it', () => {
    expect(() => routeFor('verifyKey', 'jwt')).toThrow('0 routes of verifyKey behind jwt, not one');
    expect(() => routeFor('consolePage', 'none')).toThrow('2 routes of consolePage behind none, not one');
  });

  it('names each route by its handler and authorization, but for the console page and its files', () => {
    const named = new Set(ROUTES.map((route) => `${route.handler} ${route.authorization}`));
    expect(ROUTES.length - named.size).toBe(1);
  });
});

describe('routePath', () => {
  const route = { path: '/tenants/{tenantId}/keys/{keyId}' };

  it('fills each placeholder, percent-encoded', () => {
    expect(routePath(route, { tenantId: 'a.b c/d', keyId: 'key_1' })).toBe('/tenants/a.b%20c%2Fd/keys/key_1');
    expect(routePath({ path: '/keys' })).toBe('/keys');
  });

  it('refuses a placeholder without a value, and a value without a placeholder', () => {
    expect(() => routePath(route, { tenantId: 'acme' })).toThrow('/tenants/{tenantId}/keys/{keyId} needs a value for {keyId}');
    expect(() => routePath(route, { tenantId: 'acme', keyId: 'key_1', plan: 'pro' })).toThrow(
      '/tenants/{tenantId}/keys/{keyId} has no {plan}',
    );
  });
});
