/**
 * The console as served by `npm start`, without a browser: its page and assets
 * (headers, CSP, caching) and its API's JWT authorizer, which refuses every token
 * that is not the local OpenID provider's own, for the console, naming a tenant.
 */
import { SignJWT } from 'jose';
import { DEFAULT_DEMO_USERS } from '../../local/openid/demo-users';
import { startTestIssuer, TENANT_CLAIM, type TestIssuer, unsignedToken } from '../fixtures/oidc-issuer';
import { call } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let impostor: TestIssuer;
let issuer: string;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-console-api');
  server = await startLocalServer({ DATA_DIR: dataDir.path, CONSOLE_FRAME_ANCESTORS: "'self' https://app.example" });
  issuer = /local OpenID provider (http:\/\/\S+),/.exec(server.output())![1];
  impostor = await startTestIssuer();
});

afterAll(async () => {
  try {
    await impostor?.close();
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

describe('the banner', () => {
  it("prints the console's URL and its demo users, one per line as email / password (tenant), in two tenants", () => {
    expect(server.output()).toContain(`Console: ${server.baseUrl}/console\n`);
    for (const user of DEFAULT_DEMO_USERS) {
      expect(server.output()).toContain(`\n  ${user.email} / ${user.password} (${user.tenant})\n`);
    }
    expect(new Set(DEFAULT_DEMO_USERS.map((user) => user.tenant)).size).toBeGreaterThanOrEqual(2);
  });
});

describe('the console page', () => {
  it('is HTML that is never cached unchecked, with a strict CSP and no inline script', async () => {
    const response = await fetch(`${server.baseUrl}/console`);
    const page = { status: response.status, headers: response.headers, text: await response.text() };
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src 'self' ${issuer}`,
      "form-action 'none'",
      "base-uri 'none'",
      "frame-ancestors 'self' https://app.example",
    ]);
    // Every script is a file of this origin; the settings travel as attributes.
    expect([...page.text.matchAll(/<script([^>]*)>/g)].map(([, attributes]) => attributes)).toEqual([
      expect.stringMatching(/^ type="module" src="\/console\/api-key-console-[A-Z0-9]+\.js"$/),
    ]);
    expect(page.text).toContain(`issuer="${issuer}"`);
    expect(page.text).toContain('api-base="/console/api"');
  });

  it('serves its hashed script for good, at most 100 KB, and nothing that is not one of its files', async () => {
    const page = await (await fetch(`${server.baseUrl}/console`)).text();
    const script = /src="\/console\/([^"]+)"/.exec(page)![1];
    const served = await fetch(`${server.baseUrl}/console/${script}`);
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await served.arrayBuffer()).byteLength).toBeLessThanOrEqual(100 * 1024);
    expect((await fetch(`${server.baseUrl}/console/favicon.svg`)).headers.get('cache-control')).toBe('public, max-age=86400');
    for (const missing of ['manifest.json', '..%2Fadmin-credentials.json', 'nope.js']) {
      const answer = await call(server.baseUrl, 'GET', `/console/${missing}`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe("the console API's JWT authorizer refuses, with 401", () => {
  const listWith = (authorization?: string) =>
    call(server.baseUrl, 'GET', '/console/api/keys', { headers: authorization ? { authorization } : {} });
  const claims = () => ({ iss: issuer, aud: 'api-key-console', sub: 'user-x', [TENANT_CLAIM]: 'acme' });

  it.each([
    ['no token', async () => undefined],
    ['a token that is no JWT', async () => 'Bearer not.a.jwt'],
    ['alg none', async () => `Bearer ${unsignedToken({ ...claims(), exp: Math.floor(Date.now() / 1000) + 300 })}`],
    ['a token of another issuer', async () => `Bearer ${await impostor.sign()}`],
    [
      'a token naming the local issuer, signed with another key',
      async () => `Bearer ${await impostor.sign({}, { issuer, audience: 'api-key-console' })}`,
    ],
    [
      "HS256, keyed with the issuer's published key",
      async () => {
        const jwks = await (await fetch(`${issuer}/jwks`)).json();
        return `Bearer ${await new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0].kid })
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])))}`;
      },
    ],
  ])('%s', async (_, authorization) => {
    const refused = await listWith(await authorization());
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
  });

  it('and an API key is no way in', async () => {
    expect((await call(server.baseUrl, 'GET', '/console/api/keys', { apiKey: 'ak_anything' })).status).toBe(401);
  });
});
