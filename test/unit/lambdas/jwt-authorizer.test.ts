import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { SignJWT } from 'jose';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { ACCOUNT_ID, API_ID, authorizerEvent, REGION, STAGE } from '../../fixtures/events';
import { CLIENT_ID, startTestIssuer, TENANT_CLAIM, type TestIssuer, unsignedToken } from '../../fixtures/oidc-issuer';
import { freshHandler } from '../../support/fresh-module';

type Handler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const STAGE_ARN = `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${STAGE}`;
const CONSOLE_ROUTES = [
  'DELETE/console/api/keys/*',
  'GET/console/api/audit',
  'GET/console/api/keys',
  'GET/console/api/keys/*',
  'PATCH/console/api/keys/*',
  'POST/console/api/keys',
  'POST/console/api/keys/*/revoke',
  'POST/console/api/keys/*/rotate',
];

let issuer: TestIssuer;
let handler: Handler;
let output: CapturedOutput;

const loadHandler = (settings: Record<string, string>) => freshHandler<Handler>('jwt-authorizer', settings);

const settingsFor = (url: string) => ({
  CONSOLE_ISSUER: url,
  CONSOLE_CLIENT_ID: CLIENT_ID,
  CONSOLE_TENANT_CLAIM: TENANT_CLAIM,
  CONSOLE_SCOPES: 'orders:read orders:write',
});

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());

beforeEach(() => {
  issuer.available = true;
  handler = loadHandler(settingsFor(issuer.issuer));
  output = captureOutput();
});
afterEach(() => output.restore());

const request = (authorization?: string, extra: Record<string, string> = {}) =>
  authorizerEvent({
    method: 'GET',
    resource: '/console/api/keys',
    headers: { ...(authorization === undefined ? {} : { Authorization: authorization }), ...extra },
  });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure as Error,
  );
  if (!error) throw new Error('expected a refusal');
  return error.message;
}

describe('a token of the issuer, for the console, naming a tenant', () => {
  it('is allowed on every console route of the stage, with the tenant from the token and the grantable scopes', async () => {
    const result = await handler(request(`Bearer ${await issuer.sign()}`));
    expect(result.principalId).toBe('user-1');
    expect(result.context).toEqual({
      tenantId: 'acme',
      sub: 'user-1',
      email: 'ada@acme.example',
      scopes: 'orders:read orders:write',
    });
    const resources = result.policyDocument.Statement.flatMap(
      (statement) => (statement as { Resource: string[] }).Resource,
    ).sort();
    expect(resources).toEqual(CONSOLE_ROUTES.map((route) => `${STAGE_ARN}/${route}`).sort());
  });

  it('reads the scheme in any case, and the keys once per container', async () => {
    const before = issuer.jwksFetches;
    await handler(request(`bearer ${await issuer.sign()}`));
    await handler(request(`BEARER ${await issuer.sign({ sub: 'user-2' })}`));
    expect(issuer.jwksFetches - before).toBe(1);
  });

  it.each([
    ['no typ', { typ: null }],
    ['typ at+jwt, an OAuth access token (RFC 9068)', { typ: 'at+jwt' }],
    ['typ application/at+jwt, in any case', { typ: 'Application/AT+JWT' }],
    ['an iat up to five minutes ahead, a clock a little fast', { issuedAt: 280 }],
  ])('is allowed with %s', async (_, options) => {
    expect((await handler(request(`Bearer ${await issuer.sign({}, options)}`))).principalId).toBe('user-1');
  });

  it('gives an empty email when the token has none', async () => {
    const result = await handler(request(`Bearer ${await issuer.sign({ email: undefined })}`));
    expect(result.context?.email).toBe('');
  });
});

describe('refused with 401 (Unauthorized)', () => {
  const cases: [string, () => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['a scheme other than Bearer', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a token that is not a JWT', async () => 'Bearer not-a-jwt'],
    ['an expired token', async () => `Bearer ${await issuer.sign({}, { expiresIn: -60 })}`],
    ['a token not valid yet', async () => `Bearer ${await issuer.sign({}, { notBefore: 600 })}`],
    ['a token of another issuer', async () => `Bearer ${await issuer.sign({}, { issuer: 'https://idp.example' })}`],
    ['a token for another client', async () => `Bearer ${await issuer.sign({}, { audience: 'another-client' })}`],
    ['a token signed by a key the issuer does not publish', async () => `Bearer ${await issuer.sign({}, { foreignKey: true })}`],
    [
      'alg none',
      async () =>
        `Bearer ${unsignedToken({ iss: issuer.issuer, aud: CLIENT_ID, sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 300, [TENANT_CLAIM]: 'acme' })}`,
    ],
    [
      'HS256 with the public key as its secret',
      async () =>
        `Bearer ${await new SignJWT({ sub: 'user-1', [TENANT_CLAIM]: 'acme' })
          .setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
          .setIssuer(issuer.issuer)
          .setAudience(CLIENT_ID)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(issuer.publicJwk))}`,
    ],
    ['a token without the tenant claim', async () => `Bearer ${await issuer.sign({ [TENANT_CLAIM]: undefined })}`],
    ['a tenant that is no tenant id', async () => `Bearer ${await issuer.sign({ [TENANT_CLAIM]: '../globex' })}`],
    ['a token without exp', async () => `Bearer ${await issuer.sign({}, { withoutExpiry: true })}`],
    // Another kind of JWT of the same issuer: a logout token (OpenID Connect Back-Channel Logout) or a security event.
    ['typ logout+jwt', async () => `Bearer ${await issuer.sign({}, { typ: 'logout+jwt' })}`],
    ['typ secevent+jwt', async () => `Bearer ${await issuer.sign({}, { typ: 'application/secevent+jwt' })}`],
    ['an iat more than five minutes ahead', async () => `Bearer ${await issuer.sign({}, { issuedAt: 360 })}`],
    ['an empty sub', async () => `Bearer ${await issuer.sign({ sub: '' })}`],
    ['a sub that is not a string', async () => `Bearer ${await issuer.sign({ sub: 42 as never })}`],
    ['no sub', async () => `Bearer ${await issuer.sign({ sub: undefined })}`],
  ];

  it.each(cases)('%s', async (_, authorization) => {
    expect(await refusal(handler(request(await authorization())))).toBe('Unauthorized');
  });

  it('two different Authorization headers', async () => {
    const event = request(`Bearer ${await issuer.sign()}`);
    event.multiValueHeaders = { ...event.multiValueHeaders, authorization: [`Bearer ${await issuer.sign({ sub: 'user-2' })}`] };
    expect(await refusal(handler(event))).toBe('Unauthorized');
  });
});

describe('an issuer that cannot be reached', () => {
  it('fails closed with an error that is not Unauthorized (503), and is asked again on the next request', async () => {
    const token = await issuer.sign();
    issuer.available = false;
    const message = await refusal(handler(request(`Bearer ${token}`)));
    expect(message).not.toBe('Unauthorized');
    expect(output.text()).toContain('Could not check a token');
    issuer.available = true;
    await expect(handler(request(`Bearer ${token}`))).resolves.toMatchObject({ principalId: 'user-1' });
  });

  it('refuses a discovery document that names another issuer', async () => {
    const elsewhere = loadHandler({ ...settingsFor(issuer.issuer), CONSOLE_ISSUER: `${issuer.issuer}/other` });
    expect(await refusal(elsewhere(request(`Bearer ${await issuer.sign({}, { issuer: `${issuer.issuer}/other` })}`)))).not.toBe(
      'Unauthorized',
    );
  });
});
