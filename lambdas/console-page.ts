import { readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENV, requiredEnv } from '../src/config';
import { CONSOLE_MANIFEST, type ConsoleManifest } from '../src/console-manifest';
import { httpHandler, notFound, requestPath } from './shared/http';

/** Relative to this module: deployed, the assets sit beside the bundle; locally the setting is an absolute path. */
const assetsDirectory = resolve(__dirname, requiredEnv(ENV.consoleAssetsDir));
const manifest = JSON.parse(readFileSync(join(assetsDirectory, CONSOLE_MANIFEST), 'utf8')) as ConsoleManifest;
/** Small enough to hold: read once per container. */
const assets = new Map(manifest.files.map((name) => [name, readFileSync(join(assetsDirectory, name), 'utf8')]));

const signIn = {
  issuer: requiredEnv(ENV.consoleIssuer),
  clientId: requiredEnv(ENV.consoleClientId),
  scopes: process.env[ENV.consoleScopes] ?? '',
};
/** How long before its expiry a key is warned: the console says "expires in N days" within it. */
const expiryWarningSeconds = requiredEnv(ENV.expiryWarningSeconds);
const connectSources = process.env[ENV.consoleConnectSources] ?? '';
const frameAncestors = process.env[ENV.consoleFrameAncestors] || "'none'";

/**
 * Only this origin's script and styles, and no inline script at all; fetches go
 * to this origin (the API) and the identity provider, nowhere else. The settings
 * reach the page as attributes, never as script.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  `connect-src 'self' ${connectSources}`.trim(),
  "form-action 'none'",
  "base-uri 'none'",
  `frame-ancestors ${frameAncestors}`,
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const escapeAttribute = (value: string) => value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

function page(base: string): string {
  const attribute = (name: string, value: string) => `${name}="${escapeAttribute(value)}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API keys</title>
<link rel="icon" type="image/svg+xml" href="${escapeAttribute(`${base}/favicon.svg`)}">
<script type="module" src="${escapeAttribute(`${base}/${manifest.script}`)}"></script>
</head>
<body>
<main>
<api-key-console ${[
    attribute('issuer', signIn.issuer),
    attribute('client-id', signIn.clientId),
    attribute('api-base', `${base}/api`),
    attribute('redirect-uri', base),
    attribute('scopes', signIn.scopes),
    attribute('expiry-warning-seconds', expiryWarningSeconds),
  ].join(' ')}></api-key-console>
</main>
</body>
</html>
`;
}

/**
 * GET /console and GET /console/{file}: the console page and its assets. The page
 * is never cached without asking (it names the current bundle); the bundle's name
 * carries its content hash, so it may be cached for good.
 */
export const handler = httpHandler(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const file = event.pathParameters?.file;
  const security = { 'X-Content-Type-Options': 'nosniff' };
  if (file === undefined) {
    return {
      statusCode: 200,
      headers: {
        ...security,
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        // The address holds the sign-in code for a moment after the identity provider sends the browser back.
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
      },
      // Links are absolute from the page's own path, stage included, whether or not it ends in "/".
      body: page(requestPath(event).replace(/\/+$/, '')),
    };
  }
  const body = assets.get(file);
  if (body === undefined) return notFound('There is no such file in the console.');
  return {
    statusCode: 200,
    headers: {
      ...security,
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': file === manifest.script ? 'public, max-age=31536000, immutable' : 'public, max-age=86400',
    },
    body,
  };
});
