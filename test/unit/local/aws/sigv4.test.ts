import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { type Credentials, parseAuthorization, precheckSigV4, SIGV4_FAILURES, verifySigV4 } from '../../../../local/aws/sigv4';
import type { SignedRequest } from '../../../../local/http/http-request';

const ADMIN: Credentials = { accessKeyId: 'AKIAEXAMPLE000000000', secretAccessKey: 'secret-secret-secret-secret-secret-00000' };
const SIGNED_AT = new Date('2030-01-02T03:04:05Z');
const options = (overrides: Partial<Parameters<typeof verifySigV4>[1]> = {}) => ({
  region: 'us-east-1',
  service: 'execute-api',
  credentialsFor: (accessKeyId: string) => (accessKeyId === ADMIN.accessKeyId ? ADMIN : undefined),
  now: SIGNED_AT,
  ...overrides,
});

interface ClientRequest {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  credentials?: Credentials;
  region?: string;
  service?: string;
  signingDate?: Date;
}

/** Signs like an AWS SDK client would, then shows the request as the server receives it. */
async function signedRequest(request: ClientRequest = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: request.credentials ?? ADMIN,
    region: request.region ?? 'us-east-1',
    service: request.service ?? 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method ?? 'GET',
      path: request.path ?? '/tenants/acme/keys',
      query: request.query ?? {},
      headers: { host: '127.0.0.1:3000', ...request.headers },
      body: request.body,
    }),
    { signingDate: request.signingDate ?? SIGNED_AT },
  );
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = [value];
  const rawQuery = Object.entries(request.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  return { method: signed.method, rawPath: signed.path, rawQuery, headers, body: Buffer.from(request.body ?? '') };
}

describe('parseAuthorization', () => {
  it('reads the credential scope, signed headers and signature', () => {
    const parsed = parseAuthorization(
      `AWS4-HMAC-SHA256 Credential=AK/20300102/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`,
    );
    expect(parsed).toEqual({
      accessKeyId: 'AK',
      date: '20300102',
      region: 'us-east-1',
      service: 'execute-api',
      signedHeaders: ['host', 'x-amz-date'],
      signature: 'a'.repeat(64),
    });
  });

  it.each([
    'Basic dXNlcjpwYXNz',
    `AWS4-HMAC-SHA256 Credential=AK/20300102/us-east-1/execute-api, SignedHeaders=host, Signature=${'a'.repeat(64)}`,
    'AWS4-HMAC-SHA256 Credential=AK/20300102/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=xyz',
    `AWS4-HMAC-SHA256 Credential=AK/20300102/us-east-1/execute-api/aws4_request, SignedHeaders=Host, Signature=${'a'.repeat(64)}`,
  ])('rejects %s', (header) => {
    expect(parseAuthorization(header)).toBeUndefined();
  });
});

describe('verifySigV4', () => {
  it('accepts a signed GET with a query, whatever order the query arrives in', async () => {
    const request = await signedRequest({ query: { limit: '5', cursor: 'abc_-' } });
    expect(request.rawQuery).toBe('limit=5&cursor=abc_-');
    await expect(verifySigV4(request, options())).resolves.toEqual({ valid: true, accessKeyId: ADMIN.accessKeyId });
  });

  it('accepts a signed POST with a JSON body and an extra signed header', async () => {
    const request = await signedRequest({
      method: 'POST',
      body: '{"name":"CI"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(parseAuthorization(request.headers.authorization![0])?.signedHeaders).toContain('content-type');
    await expect(verifySigV4(request, options())).resolves.toMatchObject({ valid: true });
  });

  it('accepts percent-encoded path segments and query values', async () => {
    const request = await signedRequest({ path: '/tenants/a%20b/keys', query: { cursor: 'a b+c/d' } });
    await expect(verifySigV4(request, options())).resolves.toMatchObject({ valid: true });
  });

  it('accepts a session token only when it matches', async () => {
    const temporary = { ...ADMIN, sessionToken: 'token-1' };
    const request = await signedRequest({ credentials: temporary });
    await expect(verifySigV4(request, options({ credentialsFor: () => temporary }))).resolves.toMatchObject({ valid: true });
    await expect(
      verifySigV4(request, options({ credentialsFor: () => ({ ...temporary, sessionToken: 'token-2' }) })),
    ).resolves.toEqual({
      valid: false,
      failure: 'invalidToken',
    });
  });

  describe('X-Amz-Security-Token with long-term credentials, which AWS refuses', () => {
    const withHeader = (request: SignedRequest, name: string, value: string) => ({
      ...request,
      headers: { ...request.headers, [name]: [value] },
    });

    it('refuses a token the client signed', async () => {
      const request = await signedRequest({ credentials: { ...ADMIN, sessionToken: 'made-up' } });
      expect(parseAuthorization(request.headers.authorization![0])?.signedHeaders).toContain('x-amz-security-token');
      await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'invalidToken' });
    });

    it('refuses a token added after signing, in the headers or the query', async () => {
      const request = await signedRequest();
      await expect(verifySigV4(withHeader(request, 'x-amz-security-token', 'made-up'), options())).resolves.toEqual({
        valid: false,
        failure: 'invalidToken',
      });
      await expect(verifySigV4({ ...request, rawQuery: 'X-Amz-Security-Token=made-up' }, options())).resolves.toEqual({
        valid: false,
        failure: 'invalidToken',
      });
    });

    it('refuses a missing or repeated token for temporary credentials', async () => {
      const temporary = { ...ADMIN, sessionToken: 'token-1' };
      const known = options({ credentialsFor: () => temporary });
      await expect(verifySigV4(await signedRequest({ credentials: ADMIN }), known)).resolves.toEqual({
        valid: false,
        failure: 'invalidToken',
      });
      const request = await signedRequest({ credentials: temporary });
      const twice = { ...request, headers: { ...request.headers, 'x-amz-security-token': ['token-1', 'token-1'] } };
      await expect(verifySigV4(twice, known)).resolves.toEqual({ valid: false, failure: 'invalidToken' });
    });

    it('is found without the body, by precheckSigV4 too', async () => {
      const { body: _body, ...request } = await signedRequest({ credentials: { ...ADMIN, sessionToken: 'made-up' } });
      await expect(precheckSigV4(request, options())).resolves.toEqual({ valid: false, failure: 'invalidToken' });
    });

    it('is answered as AWS answers it: 403 UnrecognizedClientException, INVALID_SIGNATURE on a stage', () => {
      expect(SIGV4_FAILURES.invalidToken).toEqual({
        gatewayResponse: 'INVALID_SIGNATURE',
        awsError: { type: 'UnrecognizedClientException', status: 403 },
      });
    });
  });

  it('accepts a clock skew under five minutes either way', async () => {
    for (const offset of [-4 * 60_000, 4 * 60_000]) {
      const request = await signedRequest({ signingDate: new Date(SIGNED_AT.getTime() + offset) });
      await expect(verifySigV4(request, options())).resolves.toMatchObject({ valid: true });
    }
  });

  it('refuses a signature over five minutes old or ahead as expired', async () => {
    for (const offset of [-6 * 60_000, 6 * 60_000]) {
      const request = await signedRequest({ signingDate: new Date(SIGNED_AT.getTime() + offset) });
      await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'expired' });
    }
  });

  it('refuses an unsigned request as missing', async () => {
    const request = await signedRequest();
    delete (request.headers as Record<string, string[]>).authorization;
    await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'missing' });
  });

  it('refuses an unknown access key', async () => {
    const request = await signedRequest({ credentials: { ...ADMIN, accessKeyId: 'AKIAOTHER00000000000' } });
    await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'unknownAccessKey' });
  });

  it('refuses a wrong secret', async () => {
    const request = await signedRequest({ credentials: { ...ADMIN, secretAccessKey: 'not-the-secret' } });
    await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'mismatch' });
  });

  it.each([
    ['region', { region: 'eu-west-1' }],
    ['service', { service: 'apigateway' }],
  ])('refuses a request signed for another %s', async (_, scope) => {
    const request = await signedRequest(scope);
    await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'wrongScope' });
  });

  it.each([
    ['method', (request: SignedRequest) => ({ ...request, method: 'DELETE' })],
    ['path', (request: SignedRequest) => ({ ...request, rawPath: '/tenants/other/keys' })],
    ['query', (request: SignedRequest) => ({ ...request, rawQuery: 'limit=6' })],
    ['body', (request: SignedRequest) => ({ ...request, body: Buffer.from('{"name":"CJ"}') })],
    [
      'signed content-type',
      (request: SignedRequest) => ({ ...request, headers: { ...request.headers, 'content-type': ['text/plain'] } }),
    ],
  ])('refuses a request whose %s changed after signing', async (_, tamper) => {
    const request = await signedRequest({
      query: { limit: '5' },
      method: 'POST',
      body: '{"name":"CI"}',
      headers: { 'content-type': 'application/json' },
    });
    await expect(verifySigV4(tamper(request), options())).resolves.toEqual({ valid: false, failure: 'mismatch' });
  });

  it('ignores headers that were not signed', async () => {
    const request = await signedRequest();
    const withExtra = { ...request, headers: { ...request.headers, 'user-agent': ['curl/8'], accept: ['*/*'] } };
    await expect(verifySigV4(withExtra, options())).resolves.toMatchObject({ valid: true });
  });

  it('refuses a declared payload hash that is not the body’s', async () => {
    const request = await signedRequest({
      method: 'POST',
      body: '{}',
      headers: { 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    });
    await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'mismatch' });
  });

  it('refuses a request without X-Amz-Date, or with a signed header it lacks, as malformed', async () => {
    const request = await signedRequest({ headers: { 'x-extra': 'yes' } });
    const { 'x-amz-date': _date, ...withoutDate } = request.headers;
    const { 'x-extra': _extra, ...withoutExtra } = request.headers;
    await expect(verifySigV4({ ...request, headers: withoutDate }, options())).resolves.toEqual({
      valid: false,
      failure: 'malformed',
    });
    await expect(verifySigV4({ ...request, headers: withoutExtra }, options())).resolves.toEqual({
      valid: false,
      failure: 'malformed',
    });
  });

  describe('X-Amz-Date, the date the signature is checked by, which AWS takes only signed and once', () => {
    it('refuses a second, unsigned X-Amz-Date, whichever comes first', async () => {
      const request = await signedRequest();
      const [signed] = request.headers['x-amz-date'] ?? [];
      for (const dates of [
        [signed, '20300102T030000Z'],
        ['20300102T030000Z', signed],
      ]) {
        await expect(
          verifySigV4({ ...request, headers: { ...request.headers, 'x-amz-date': dates } }, options()),
        ).resolves.toEqual({
          valid: false,
          failure: 'malformed',
        });
      }
    });

    it('refuses a signature that does not cover X-Amz-Date, however right it is otherwise', async () => {
      const signer = new SignatureV4({ credentials: ADMIN, region: 'us-east-1', service: 'execute-api', sha256: Sha256 });
      const signed = await signer.sign(
        new HttpRequest({ method: 'GET', path: '/tenants/acme/keys', headers: { host: '127.0.0.1:3000' } }),
        {
          signingDate: SIGNED_AT,
          unsignableHeaders: new Set(['x-amz-date']),
        },
      );
      expect(parseAuthorization(String(signed.headers.authorization))?.signedHeaders).not.toContain('x-amz-date');
      const request: SignedRequest = {
        method: 'GET',
        rawPath: '/tenants/acme/keys',
        rawQuery: '',
        headers: Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), [value]])),
        body: Buffer.from(''),
      };
      // The signature AWS computes covers X-Amz-Date all the same, so it does not match.
      await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure: 'mismatch' });
    });

    it('takes other headers unsigned, X-Amz-Security-Token aside (above), as AWS does', async () => {
      const request = await signedRequest();
      const withExtra = {
        ...request,
        headers: { ...request.headers, 'x-amz-user-agent': ['aws-sdk-js/3'], 'content-type': ['application/json'] },
      };
      await expect(verifySigV4(withExtra, options())).resolves.toMatchObject({ valid: true });
    });
  });

  it('refuses a signature that does not cover the Host header', async () => {
    const request = await signedRequest();
    const authorization = request.headers.authorization![0].replace('SignedHeaders=host;', 'SignedHeaders=');
    await expect(
      verifySigV4({ ...request, headers: { ...request.headers, authorization: [authorization] } }, options()),
    ).resolves.toEqual({
      valid: false,
      failure: 'malformed',
    });
  });
});

describe('precheckSigV4: everything that needs no body', () => {
  const withoutBody = ({ body: _body, ...request }: SignedRequest) => request;

  it('passes a request signed with known credentials, for the right scope and in time, without seeing the body or the signature', async () => {
    const request = await signedRequest({
      method: 'POST',
      body: '{"name":"CI"}',
      headers: { 'content-type': 'application/json' },
    });
    await expect(precheckSigV4(withoutBody(request), options())).resolves.toEqual({
      valid: true,
      accessKeyId: ADMIN.accessKeyId,
    });
    // What it cannot see: only verifySigV4, with the body, finds a wrong secret.
    const wrongSecret = await signedRequest({ credentials: { ...ADMIN, secretAccessKey: 'not-the-secret' } });
    await expect(precheckSigV4(withoutBody(wrongSecret), options())).resolves.toMatchObject({ valid: true });
  });

  it.each([
    ['missing', async () => ({ ...(await signedRequest()), headers: { host: ['127.0.0.1:3000'] } })],
    ['unknownAccessKey', () => signedRequest({ credentials: { ...ADMIN, accessKeyId: 'AKIAOTHER00000000000' } })],
    ['wrongScope', () => signedRequest({ region: 'eu-west-1' })],
    ['expired', () => signedRequest({ signingDate: new Date(SIGNED_AT.getTime() - 6 * 60_000) })],
  ])('refuses as %s what verifySigV4 refuses so', async (failure, make) => {
    const request = await make();
    await expect(precheckSigV4(withoutBody(request), options())).resolves.toEqual({ valid: false, failure });
    await expect(verifySigV4(request, options())).resolves.toEqual({ valid: false, failure });
  });
});
