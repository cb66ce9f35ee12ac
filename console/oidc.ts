/**
 * OpenID Connect sign-in in the browser: the authorization code flow with PKCE
 * (RFC 7636), for a public client with no secret. Tokens live in memory only; the
 * one thing kept across the redirect is what the callback must check (state,
 * nonce, PKCE verifier), in sessionStorage, and it is removed on return.
 */

export interface SignInSettings {
  issuer: string;
  clientId: string;
  /** Where the identity provider sends the browser back: the console page itself. */
  redirectUri: string;
}

export interface Session {
  /** Sent as the bearer token of every API call. */
  idToken: string;
  /** Epoch milliseconds after which the token is refused. */
  expiresAt: number;
  email?: string;
  endSessionEndpoint?: string;
}

interface ProviderMetadata {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
}

const PENDING_KEY = 'api-key-console:pending-sign-in';

function randomToken(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

async function challengeFor(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

async function metadataOf(issuer: string): Promise<ProviderMetadata> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error('The identity provider could not be reached.');
  return response.json();
}

/** The claims of a JWT, unverified: the API verifies it; the page only reads its nonce, expiry and email. */
function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

/** Sends the browser to the identity provider's sign-in page. */
export async function beginSignIn(settings: SignInSettings): Promise<void> {
  const metadata = await metadataOf(settings.issuer);
  const pending: PendingSignIn = { state: randomToken(), nonce: randomToken(), verifier: randomToken() };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: settings.redirectUri,
    scope: 'openid email',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challengeFor(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** Whether this page load is the identity provider sending the browser back. */
export function isSignInCallback(): boolean {
  const query = new URLSearchParams(location.search);
  return query.has('state') && (query.has('code') || query.has('error'));
}

/**
 * Completes a sign-in on return from the identity provider: checks the state,
 * trades the code (with the PKCE verifier) for tokens, checks the nonce, and
 * takes the code out of the address bar.
 */
export async function completeSignIn(settings: SignInSettings): Promise<Session> {
  const query = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as PendingSignIn | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', location.pathname);
  if (!pending || query.get('state') !== pending.state) throw new Error('The sign-in could not be checked; sign in again.');
  const code = query.get('code');
  if (!code) throw new Error(`The identity provider refused the sign-in (${query.get('error')}).`);

  const metadata = await metadataOf(settings.issuer);
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: settings.redirectUri,
      client_id: settings.clientId,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error('The identity provider did not complete the sign-in; sign in again.');
  const tokens = (await response.json()) as { id_token?: string };
  if (!tokens.id_token) throw new Error('The identity provider returned no ID token.');
  const claims = claimsOf(tokens.id_token);
  if (claims.nonce !== pending.nonce) throw new Error('The sign-in could not be checked; sign in again.');
  return {
    idToken: tokens.id_token,
    expiresAt: Number(claims.exp) * 1000,
    email: typeof claims.email === 'string' ? claims.email : undefined,
    endSessionEndpoint: metadata.end_session_endpoint,
  };
}

/** Ends the identity provider's session too, where it offers that, and comes back signed out. */
export function endSession(session: Session, settings: SignInSettings): void {
  if (!session.endSessionEndpoint) return;
  const url = new URL(session.endSessionEndpoint);
  url.search = new URLSearchParams({
    id_token_hint: session.idToken,
    client_id: settings.clientId,
    post_logout_redirect_uri: settings.redirectUri,
  }).toString();
  location.assign(url.toString());
}
