import { createRouter } from '../../../../local/apigateway/router';
import { ROUTES } from '../../../../src/routes';

const route = createRouter(ROUTES);

describe('createRouter over the route table', () => {
  it('finds every route of the table by its own method and path', () => {
    for (const definition of ROUTES) {
      const path = definition.path.replace(/\{[^}]+\}/g, 'x');
      expect(route(definition.method, path)?.route).toBe(definition);
    }
  });

  it('extracts and percent-decodes path parameters', () => {
    expect(route('POST', '/tenants/acme%2Ecorp/keys/key_01J/rotate')?.pathParameters).toEqual({
      tenantId: 'acme.corp',
      keyId: 'key_01J',
    });
    expect(route('GET', '/tenants/a%20b/keys')?.pathParameters).toEqual({ tenantId: 'a b' });
    expect(route('GET', '/tenants/%E0%A4%A/keys')?.pathParameters).toEqual({ tenantId: '%E0%A4%A' });
  });

  it('gives null path parameters for a route without any, as API Gateway does', () => {
    expect(route('GET', '/whoami')).toEqual({ route: expect.objectContaining({ handler: 'whoami' }), pathParameters: null });
  });

  it.each([
    ['PUT', '/whoami'],
    ['GET', '/whoami/'],
    ['GET', '/v1/whoami'],
    ['GET', '/tenants//keys'],
    ['GET', '/tenants/acme/keys/key_1/extra'],
    ['POST', '/tenants/acme/keys/key_1'],
    ['GET', '/nothing'],
  ])('matches nothing for %s %s', (method, path) => {
    expect(route(method, path)).toBeUndefined();
  });
});
