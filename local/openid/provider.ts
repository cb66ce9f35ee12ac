/**
 * A real OpenID provider (the `oidc-provider` package) on its own port of
 * 127.0.0.1, so the console signs in locally exactly as it does against the
 * operator's: authorization code with PKCE, tokens signed with a key published
 * in its JWKS, checked by the deployed JWT authorizer. The demo users sign in on
 * a plain form; the console is the operator's own app, so nobody is asked to consent.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { authenticate, type DemoUser, subjectOf } from './demo-users';
import { MemoryAdapter } from './memory-adapter';
import { errorPage, loginPage, signedOutPage, signOutPage } from './pages';
import { PasswordThrottle } from './password-throttle';

export interface OpenIdProviderOptions {
  /** 0 picks a free port. */
  port: number;
  users: readonly DemoUser[];
  clientId: string;
  /** The console page: where the browser comes back to after signing in or out. */
  redirectUri: string;
  /** The claim that names the user's tenant, in the ID token. */
  tenantClaim: string;
}

export interface OpenIdProvider {
  issuer: string;
  close(): Promise<void>;
}

const INTERACTION_PATH = /^\/interaction\/([^/]+)(\/login)?$/;
const HOUR = 60 * 60;
const DAY = 24 * HOUR;
/** The console's icon, for the sign-in page's tab too: browsers ask every origin for /favicon.ico. */
const FAVICON = readFileSync(resolve(__dirname, '../../console/favicon.svg'));
const MAX_FORM_BYTES = 8 * 1024;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) break;
  }
  return new URLSearchParams(body);
}

function configuration(options: OpenIdProviderOptions): Configuration {
  const { users, tenantClaim } = options;
  // Made afresh at each start: tokens of an earlier run are refused, as a rotated key would make them.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  return {
    adapter: MemoryAdapter,
    clients: [
      {
        client_id: options.clientId,
        // A public client: the browser holds no secret, PKCE protects the code.
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [options.redirectUri],
        post_logout_redirect_uris: [options.redirectUri],
      },
    ],
    jwks: { keys: [signingKey as never] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    // Every lifetime the flow uses, set (oidc-provider's own values), as the package asks of a provider: left to its
    // defaults, each prints a NOTICE to npm start's output the first time a user signs in.
    ttl: { Interaction: HOUR, Session: 14 * DAY, Grant: 14 * DAY, AccessToken: HOUR, IdToken: HOUR },
    // The tenant travels in the ID token, under the claim the JWT authorizer is told to read.
    claims: { openid: ['sub', tenantClaim], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    findAccount: async (_ctx, id) => {
      const user = users.find((candidate) => subjectOf(candidate) === id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: user.email, email_verified: true, [tenantClaim]: user.tenant }),
      };
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        logoutSource: async (ctx, form) => {
          ctx.body = signOutPage(form);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = signedOutPage();
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The console is the operator's own application: its users are not asked to consent to it.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session, provider } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) return provider.Grant.find(grantId);
      const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email');
      await grant.save();
      return grant;
    },
    // The browser calls the token endpoint from the console's origin, and only from there.
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
  };
}

/** The sign-in form, and the answer to it. */
async function interaction(
  provider: Provider,
  users: readonly DemoUser[],
  throttle: PasswordThrottle,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const [, uid, login] = INTERACTION_PATH.exec(new URL(req.url ?? '/', 'http://x').pathname) ?? [];
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('Interaction mismatch');
  const action = `/interaction/${uid}/login`;
  const send = (status: number, html: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
    res.end(html);
  };
  if (!login || req.method !== 'POST') {
    send(200, loginPage({ action }));
    return;
  }
  const form = await readForm(req);
  const email = form.get('email') ?? '';
  const client = req.socket.remoteAddress ?? '';
  const wait = Math.ceil(throttle.waitFor(client, email) / 1000);
  if (wait > 0) {
    const error = `Too many wrong passwords for this address. Try again in ${wait} second${wait === 1 ? '' : 's'}.`;
    send(429, loginPage({ action, email, error }), { 'retry-after': String(wait) });
    return;
  }
  const user = authenticate(users, email, form.get('password') ?? '');
  if (!user) {
    throttle.wrongPassword(client, email);
    send(401, loginPage({ action, email, error: 'Wrong email or password.' }));
    return;
  }
  throttle.signedIn(client, email);
  await provider.interactionFinished(req, res, { login: { accountId: subjectOf(user) } }, { mergeWithLastSubmission: false });
}

export async function startOpenIdProvider(options: OpenIdProviderOptions): Promise<OpenIdProvider> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handle(req, res));
  server.listen(options.port, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, configuration(options));
  const callback = provider.callback();
  const throttle = new PasswordThrottle();
  handle = (req, res) => {
    // No page of the provider may be framed: a framed sign-in form invites clickjacking.
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    const { pathname } = new URL(req.url ?? '/', issuer);
    if (pathname === '/favicon.ico') {
      res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }).end(FAVICON);
      return;
    }
    if (!INTERACTION_PATH.test(pathname)) {
      callback(req, res);
      return;
    }
    interaction(provider, options.users, throttle, req, res).catch(() => {
      // An expired or unknown interaction: start again from the console.
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('This sign-in has expired. Go back to the console and sign in again.');
    });
  };
  return {
    issuer,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
