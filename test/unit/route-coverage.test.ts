/**
 * The route table is the one list of the API's routes: every method of the typed
 * clients (which the CLI calls) and of the console's API names one of its routes,
 * and together they call every route meant for them. (The OpenAPI document's
 * operations are held to the same table in test/infra/openapi-document.test.ts.)
 */
import { KeysApi } from '../../console/keys-api';
import { ApiKeyServiceClient, SelfServiceClient } from '../../src/client';
import { CONSOLE_API_PATH, ROUTES, type Route, routeFor } from '../../src/routes';

/** A stage URL: every request's path is the stage's followed by a route's. */
const ENDPOINT = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1';
const STAGE_PATH = new URL(ENDPOINT).pathname;
const CREDENTIALS = { accessKeyId: 'AKIAROUTECOVERAGE000', secretAccessKey: 'route-coverage-secret' };

const described = (route: Pick<Route, 'method' | 'path'>) => `${route.method} ${route.path}`;
const routesBehind = (...authorizations: Route['authorization'][]) =>
  ROUTES.filter((route) => authorizations.includes(route.authorization)).map(described);

/** The one route a request reached: its method, and its path with one segment for each `{param}`. */
function routeReached(method: string, url: string): string {
  const { pathname } = new URL(url);
  expect(pathname.startsWith(STAGE_PATH)).toBe(true);
  const path = pathname.slice(STAGE_PATH.length);
  const reached = ROUTES.filter(
    (route) => route.method === method && new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  );
  expect(reached.map(described)).toHaveLength(1);
  return described(reached[0]);
}

/** A fetch that answers every request with an empty last page, and records the route each reached. */
function recordingFetch() {
  const reached: string[] = [];
  const fetch = async (input: URL | RequestInfo, init: RequestInit = {}) => {
    reached.push(routeReached(init.method ?? 'GET', String(input)));
    return new Response(JSON.stringify({ items: [], nextCursor: null }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch: fetch as typeof globalThis.fetch, reached };
}

const firstPage = async (pages: AsyncGenerator<unknown>) => (await pages.next()).value;

/** A call of each public method: a method added to a client fails to compile here until it is added. */
const ADMIN_CALLS: Record<keyof ApiKeyServiceClient, (client: ApiKeyServiceClient) => Promise<unknown>> = {
  createKey: (client) => client.createKey('acme', { name: 'CI' }),
  listKeys: (client) => client.listKeys('acme'),
  listKeyPages: (client) => firstPage(client.listKeyPages('acme')),
  getKey: (client) => client.getKey('acme', 'key_1'),
  updateKey: (client) => client.updateKey('acme', 'key_1', { enabled: false }),
  deleteKey: (client) => client.deleteKey('acme', 'key_1'),
  rotateKey: (client) => client.rotateKey('acme', 'key_1'),
  revokeKey: (client) => client.revokeKey('acme', 'key_1'),
  revokeKeyBySecret: (client) => client.revokeKeyBySecret('ak_x'),
  listAudit: (client) => client.listAudit('acme'),
  listAuditPages: (client) => firstPage(client.listAuditPages('acme')),
  verifyKey: (client) => client.verifyKey('ak_x'),
  getTenant: (client) => client.getTenant('acme'),
  setTenantPlan: (client) => client.setTenantPlan('acme', 'pro'),
  getUsage: (client) => client.getUsage('acme'),
  openApiDocument: (client) => client.openApiDocument(),
};

const SELF_SERVICE_CALLS: Record<keyof SelfServiceClient, (client: SelfServiceClient) => Promise<unknown>> = {
  createKey: (client) => client.createKey({ name: 'CI' }),
  listKeys: (client) => client.listKeys(),
  listKeyPages: (client) => firstPage(client.listKeyPages()),
  getKey: (client) => client.getKey('key_1'),
  updateKey: (client) => client.updateKey('key_1', { enabled: false }),
  deleteKey: (client) => client.deleteKey('key_1'),
  rotateKey: (client) => client.rotateKey('key_1'),
  revokeKey: (client) => client.revokeKey('key_1', { reason: 'unused' }),
  listAudit: (client) => client.listAudit(),
  whoami: (client) => client.whoami(),
  usage: (client) => client.usage(),
};

const CONSOLE_CALLS: Record<keyof KeysApi, (api: KeysApi) => Promise<unknown>> = {
  list: (api) => api.list(),
  activity: (api) => api.activity(),
  create: (api) => api.create({ name: 'CI', scopes: [] }),
  setEnabled: (api) => api.setEnabled('key_1', false),
  rotate: (api) => api.rotate('key_1'),
  revoke: (api) => api.revoke('key_1'),
  remove: (api) => api.remove('key_1'),
};

/** Each method's one route, by the method's name. */
async function routesCalled<T>(
  calls: Record<string, (target: T) => Promise<unknown>>,
  make: (fetch: typeof globalThis.fetch) => T,
) {
  const called: Record<string, string> = {};
  for (const [name, call] of Object.entries(calls)) {
    const { fetch, reached } = recordingFetch();
    await call(make(fetch));
    expect({ [name]: reached }).toEqual({ [name]: [expect.any(String)] });
    called[name] = reached[0];
  }
  return called;
}

const sorted = (routes: Iterable<string>) => [...new Set(routes)].sort();

describe('the route table', () => {
  it("is every route the admin client calls, and the client calls every admin route, the API's description and the holder's revocation", async () => {
    const called = await routesCalled(
      ADMIN_CALLS,
      (fetch) => new ApiKeyServiceClient({ endpoint: ENDPOINT, credentials: CREDENTIALS, fetch }),
    );
    expect(sorted(Object.values(called))).toEqual(
      sorted([...routesBehind('iam'), described(routeFor('openApi', 'none')), described(routeFor('revokeKeyBySecret', 'none'))]),
    );
  });

  it('is every route the self-service client calls, and the client calls every route behind a key', async () => {
    const called = await routesCalled(
      SELF_SERVICE_CALLS,
      (fetch) => new SelfServiceClient({ endpoint: ENDPOINT, apiKey: 'ak_x', fetch }),
    );
    expect(sorted(Object.values(called))).toEqual(sorted(routesBehind('apiKey')));
  });

  it("is every route the console calls, under its API's path, and the console calls every console route but reading one key", async () => {
    expect(routesBehind('jwt').every((route) => route.split(' ')[1].startsWith(`${CONSOLE_API_PATH}/`))).toBe(true);
    const fetch = jest.spyOn(globalThis, 'fetch');
    try {
      const called = await routesCalled(CONSOLE_CALLS, (recording) => {
        fetch.mockImplementation(recording);
        return new KeysApi(
          () => `${ENDPOINT}${CONSOLE_API_PATH}`,
          async () => 'token',
        );
      });
      // The page reads its keys by listing them: the console's GET of one key, there like the other key routes', goes uncalled.
      expect(sorted(Object.values(called))).toEqual(
        sorted(routesBehind('jwt').filter((route) => route !== 'GET /console/api/keys/{keyId}')),
      );
    } finally {
      fetch.mockRestore();
    }
  });
});
