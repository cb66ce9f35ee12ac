/**
 * The local OpenID provider of `npm start`, over HTTP as a browser meets it:
 * none of its pages may be framed, none loads anything from another origin, and
 * its sign-in form slows down a run of wrong passwords.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_DEMO_USERS } from '../../local/openid/demo-users';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

/** The console's client, as local mode registers it. */
const CLIENT_ID = 'api-key-console';
const [alice, bob] = DEFAULT_DEMO_USERS;

let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let issuer: string;
let redirectUri: string;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-openid-provider');
  server = await startLocalServer({ DATA_DIR: dataDir.path });
  issuer = (/local OpenID provider (http:\/\/\S+),/.exec(server.output()) as RegExpExecArray)[1];
  redirectUri = `${server.baseUrl}/console`;
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

/** A browser's visit: the cookies the provider set, sent back on each request. */
function browser() {
  const cookies = new Map<string, string>();
  return async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, issuer), {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const separator = pair.indexOf('=');
      cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
}

/** Starts a sign-in as the console does (code, PKCE), and answers the path of its form. */
async function signInForm(visit: ReturnType<typeof browser>): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid email',
    state: 'state',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const started = await visit(`/auth?${query}`);
  expect(started.status).toBe(303);
  return started.headers.get('location') as string;
}

const submit = (visit: ReturnType<typeof browser>, form: string, email: string, password: string) =>
  visit(`${form}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password }).toString(),
  });

/** Every page a browser may meet there: the sign-in form, an error, the sign-out question and its answer. */
async function pages(): Promise<[string, Awaited<ReturnType<ReturnType<typeof browser>>>][]> {
  const visit = browser();
  const form = await signInForm(visit);
  const signInPage = await visit(form);
  // Signed in (the session is made as the browser follows the answer), so that signing out asks first.
  const signedIn = await submit(visit, form, bob.email, bob.password);
  expect((await visit(signedIn.headers.get('location') as string)).headers.get('location')).toMatch(/^http.*\/console\?code=/);
  const signOut = await visit('/session/end');
  expect(signOut.text).toContain('Yes, sign me out');
  return [
    ['the sign-in form', signInPage],
    ['an error', await visit(`/auth?client_id=nobody&response_type=code&scope=openid`)],
    ['the sign-out question', signOut],
    ['the signed-out page', await visit('/session/end/success')],
    ['the discovery document', await visit('/.well-known/openid-configuration')],
  ];
}

describe('the local OpenID provider', () => {
  it('refuses to be framed, on every page', async () => {
    for (const [name, page] of await pages()) {
      expect({ name, frameOptions: page.headers.get('x-frame-options') }).toEqual({ name, frameOptions: 'DENY' });
      expect({ name, csp: page.headers.get('content-security-policy') }).toEqual({ name, csp: "frame-ancestors 'none'" });
    }
  });

  it('loads nothing from another origin: no fonts, styles, scripts or images from the internet', async () => {
    for (const [name, page] of (await pages()).filter(([, page]) => page.headers.get('content-type')?.startsWith('text/html'))) {
      const elsewhere = [...page.text.matchAll(/(?:https?:)?\/\/[^\s"'<>)]+/g)]
        .map(([url]) => url)
        .filter((url) => !url.startsWith(issuer));
      expect({ name, elsewhere }).toEqual({ name, elsewhere: [] });
      expect({ name, imports: page.text.includes('@import') }).toEqual({ name, imports: false });
    }
  });

  it('makes a run of wrong passwords wait, without checking the password meanwhile, and says so', async () => {
    const visit = browser();
    const form = await signInForm(visit);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await submit(visit, form, alice.email, 'wrong');
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('Wrong email or password.');
    }
    for (const password of ['wrong', alice.password]) {
      const held = await submit(visit, form, alice.email.toUpperCase(), password);
      expect(held.status).toBe(429);
      expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(held.text).toMatch(/Too many wrong passwords for this address\. Try again in \d+ seconds?\./);
    }
    // Another address is not held back.
    const other = browser();
    const signedIn = await submit(other, await signInForm(other), bob.email, bob.password);
    expect(signedIn.status).toBe(303);
  });
});
