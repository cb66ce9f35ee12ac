import { statSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { buildConsoleAssets } from '../../../src/console-bundle';
import type { ConsoleManifest } from '../../../src/console-manifest';
import { proxyEvent } from '../../fixtures/events';
import { freshHandler } from '../../support/fresh-module';
import { makeTempDir } from '../../support/temp-dir';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

let assets: Awaited<ReturnType<typeof makeTempDir>>;
let manifest: ConsoleManifest;

beforeAll(async () => {
  assets = await makeTempDir('console-page');
  manifest = buildConsoleAssets(assets.path);
});
afterAll(() => assets.remove());

function load(settings: Record<string, string> = {}): Handler {
  return freshHandler<Handler>('console-page', {
    CONSOLE_ASSETS_DIR: assets.path,
    CONSOLE_ISSUER: 'https://idp.example/realms/a"b',
    CONSOLE_CLIENT_ID: 'console<client>',
    CONSOLE_SCOPES: 'orders:read orders:write',
    CONSOLE_CONNECT_SOURCES: 'https://idp.example https://auth.idp.example',
    CONSOLE_FRAME_ANCESTORS: "'self' https://app.example",
    EXPIRY_WARNING_SECONDS: '259200',
    ...settings,
  });
}

/** GET /console as the client asked for it: `path` is its own path, stage included. */
function page(path = '/v1/console'): APIGatewayProxyEvent {
  const event = proxyEvent({ method: 'GET', resource: '/console' });
  return { ...event, requestContext: { ...event.requestContext, path } };
}
const file = (name: string) => proxyEvent({ method: 'GET', resource: '/console/{file}', pathParameters: { file: name } });

describe('GET /console', () => {
  it('links its assets from its own path, stage included, and escapes every setting it writes into the page', async () => {
    const result = await load()(page('/v1/console/'));
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain(`<script type="module" src="/v1/console/${manifest.script}"></script>`);
    expect(result.body).toContain('issuer="https://idp.example/realms/a&#34;b"');
    expect(result.body).toContain('client-id="console&#60;client&#62;"');
    expect(result.body).toContain('api-base="/v1/console/api" redirect-uri="/v1/console" scopes="orders:read orders:write"');
    // The deployment's window: within it, the page says when a key expires.
    expect(result.body).toContain('expiry-warning-seconds="259200"');
  });

  it('sends a CSP that allows this origin and the identity provider, and the frames the operator named', async () => {
    const { headers } = await load()(page());
    expect(headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    expect(String(headers?.['Content-Security-Policy'])).toContain(
      "connect-src 'self' https://idp.example https://auth.idp.example; form-action 'none'; base-uri 'none'; frame-ancestors 'self' https://app.example",
    );
  });

  it('lets no page frame it when the operator names none', async () => {
    const { headers } = await load({ CONSOLE_FRAME_ANCESTORS: '', CONSOLE_CONNECT_SOURCES: '' })(page());
    expect(String(headers?.['Content-Security-Policy'])).toContain("connect-src 'self'; form-action");
    expect(String(headers?.['Content-Security-Policy'])).toMatch(/frame-ancestors 'none'$/);
  });
});

describe('GET /console/{file}', () => {
  it('serves the hashed script for good, the favicon for a day, and 404 for anything else', async () => {
    const handler = load();
    expect((await handler(file(manifest.script))).headers).toMatchObject({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
    expect((await handler(file('favicon.svg'))).headers).toMatchObject({
      'Content-Type': 'image/svg+xml',
      'Cache-Control': 'public, max-age=86400',
    });
    for (const name of ['manifest.json', '../manifest.json', 'x.js']) {
      const missing = await handler(file(name));
      expect(missing.statusCode).toBe(404);
      expect(missing.headers?.['Content-Type']).toBe('application/problem+json');
    }
  });
});

describe('buildConsoleAssets', () => {
  it('makes one script within the 100 KB budget (P6)', () => {
    expect(manifest.files).toEqual([manifest.script, 'favicon.svg']);
    expect(statSync(`${assets.path}/${manifest.script}`).size).toBeLessThanOrEqual(100 * 1024);
  });
});
