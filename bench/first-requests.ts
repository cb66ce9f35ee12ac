/**
 * P3h's first request of each handler: the event API Gateway would give it for
 * one ordinary call of its route, built as local mode builds events
 * (local/apigateway/proxy-events.ts), and the environment its bundle gets,
 * pointed at local mode's emulated AWS.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type CallerIdentity, proxyEvent } from '../local/apigateway/proxy-events';
import { localStage } from '../local/apigateway/stage';
import { usagePlanId } from '../local/apigateway/usage-plans';
import { functionEnvironment } from '../local/boot/lambda-environment';
import type { LocalConfig } from '../local/boot/local-config';
import type { GatewayRequest } from '../local/http/http-request';
import { ENV } from '../src/config';
import { generateKey } from '../src/domain/key-format';
import { HANDLERS, type HandlerName, ROUTES, type Route } from '../src/routes';

/** What the first requests act on, made in local mode beforehand. */
export interface BenchTenant {
  tenantId: string;
  /** A key the tenant holds, which its first request may read or rename. */
  keyId: string;
  /** A key no other request touches: the one a delete or a rotation ends. */
  spareKeyId(): string;
}

/**
 * The stand-in for GitHub's secret scanning keys, which the function reads from the
 * keys file local mode is given (writeGitHubKeys): it signs the first payload.
 */
const GITHUB = { identifier: 'bench', ...generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) };

/** Writes GitHub's keys, in GitHub's format, for GITHUB_SECRET_SCANNING_KEYS_FILE. */
export function writeGitHubKeys(path: string): void {
  const key = GITHUB.publicKey.export({ type: 'spki', format: 'pem' });
  writeFileSync(path, JSON.stringify({ public_keys: [{ key_identifier: GITHUB.identifier, key, is_current: true }] }));
}

/**
 * The bodies of the requests that need one; any other handler's first request has
 * none. The keys a revocation by secret and a secret scanning payload name are
 * well-formed and nobody's: they cost the one read every key costs.
 */
const BODIES: Partial<Record<HandlerName, (plan: string) => unknown>> = {
  createKey: () => ({ name: 'bench cold start' }),
  updateKey: () => ({ name: 'bench cold start, renamed' }),
  rotateKey: () => ({}),
  revokeKey: () => ({}),
  revokeKeyBySecret: () => ({ key: generateKey() }),
  githubSecretScanning: () => [{ token: generateKey(), type: 'api_key', url: 'https://github.com/o/r', source: 'content' }],
  setTenantPlan: (plan) => ({ plan }),
};

/** Handlers whose request ends a key: each cold start needs one of its own. */
export const ENDS_A_KEY: ReadonlySet<HandlerName> = new Set(['deleteKey', 'rotateKey', 'revokeKey']);

/** The headers of a request beyond its Content-Type: GitHub's signature of its payload. */
function signatureHeaders(handler: HandlerName, body: string): [string, string][] {
  if (handler !== 'githubSecretScanning') return [];
  return [
    ['Github-Public-Key-Identifier', GITHUB.identifier],
    ['Github-Public-Key-Signature', sign('sha256', Buffer.from(body), GITHUB.privateKey).toString('base64')],
  ];
}

/** Who signs the admin calls. */
const CALLER: CallerIdentity = {
  accessKey: 'AKIABENCHCOLDSTART00',
  accountId: '000000000000',
  userArn: 'arn:aws:iam::000000000000:user/bench',
};

/** The handler's admin route if it has one (a back office's calls), else its self-service or open one. */
function routeOf(handler: HandlerName): Route {
  const routes = ROUTES.filter((route) => route.handler === handler);
  const route = routes.find((each) => each.authorization === 'iam') ?? routes.find((each) => each.authorization !== 'jwt');
  if (!route) throw new Error(`${handler} has no route to measure its first request on`);
  return route;
}

export function firstRequestEvent(handler: HandlerName, tenant: BenchTenant, defaultPlan: string): APIGatewayProxyEvent {
  const route = routeOf(handler);
  const keyId = ENDS_A_KEY.has(handler) ? tenant.spareKeyId() : tenant.keyId;
  const values: Record<string, string> = { tenantId: tenant.tenantId, keyId, file: 'api-key-console.js' };
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => name);
  const rawPath = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name]));
  const body = BODIES[handler]?.(defaultPlan);
  const text = body === undefined ? '' : JSON.stringify(body);
  const headerPairs: [string, string][] =
    body === undefined ? [] : [['Content-Type', 'application/json'], ...signatureHeaders(handler, text)];
  const request: GatewayRequest = {
    method: route.method,
    rawPath,
    rawQuery: '',
    headers: Object.fromEntries(headerPairs.map(([name, value]) => [name.toLowerCase(), [value]])),
    headerPairs,
    body: Buffer.from(text),
    bodyTooLarge: false,
    sourceIp: '127.0.0.1',
    receivedAt: new Date(),
  };
  const pathParameters = names.length === 0 ? null : Object.fromEntries(names.map((name) => [name, values[name]]));
  const authorizer =
    route.authorization === 'apiKey'
      ? {
          principalId: tenant.keyId,
          tenantId: tenant.tenantId,
          keyId: tenant.keyId,
          keyName: 'bench',
          scopes: 'keys:manage',
          expiresAt: '',
        }
      : null;
  return proxyEvent(request, { route, pathParameters }, localStage('us-east-1'), `bench-${handler}`, {
    authorizer,
    caller: route.authorization === 'iam' ? CALLER : undefined,
  });
}

/** The console's settings stay the synthesized ones: the page is served from its own asset. */
const CONSOLE_SETTINGS = new Set<string>([
  ENV.consoleIssuer,
  ENV.consoleClientId,
  ENV.consoleTenantClaim,
  ENV.consoleScopes,
  ENV.consoleAssetsDir,
  ENV.consoleConnectSources,
  ENV.consoleFrameAncestors,
]);

/**
 * A handler's environment: what its template gives it, with what names a
 * resource (tables, queues, usage plans, the flush registry) replaced by what
 * local mode (`config`, at `server`) has of it, as local mode runs the same function.
 */
export function firstRequestEnvironment(
  handler: HandlerName,
  synthesized: Record<string, string>,
  config: LocalConfig,
  server: string,
): Record<string, string> {
  const local = functionEnvironment(HANDLERS[handler], config, localStage(config.region), {
    server,
    // Its settings are dropped below: any issuer will do.
    console: { issuer: 'https://issuer.invalid', clientId: '', assetsDirectory: '' },
    usagePlans: {
      default: config.plans.default,
      ids: Object.fromEntries(Object.keys(config.plans.plans).map((name) => [name, usagePlanId(name)])),
    },
  });
  const resources = Object.fromEntries(Object.entries(local).filter(([name]) => !CONSOLE_SETTINGS.has(name)));
  // GitHub's keys from the file local mode has, as local mode passes it on, not from GitHub.
  const gitHubKeys: Record<string, string> =
    handler === 'githubSecretScanning' && config.gitHubKeysFile
      ? { GITHUB_SECRET_SCANNING_KEYS_FILE: config.gitHubKeysFile }
      : {};
  return { ...synthesized, ...resources, ...gitHubKeys };
}
