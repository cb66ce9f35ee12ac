import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createAuthorizerResultCache } from '../../../../local/apigateway/authorizer-result-cache';
import { createAuthorizerRunner } from '../../../../local/apigateway/authorizer-runner';
import { createGateway, type ProxyHandler } from '../../../../local/apigateway/gateway';
import { localStage } from '../../../../local/apigateway/stage';
import type { GatewayRequest } from '../../../../local/http/http-request';
import { consoleUserPolicyFor, policyFor } from '../../../../src/authorizer-policy';
import { PROBLEM_HEADERS } from '../../../../src/problem';
import { compileMethods, SERVICE_PROTECTED_METHODS } from '../../../../src/protected-methods';
import { type HandlerName, ROUTES } from '../../../../src/routes';

const SERVICE_METHODS = compileMethods(SERVICE_PROTECTED_METHODS);

const stage = localStage('us-east-1');
const ADMIN = { accessKeyId: 'AKIAEXAMPLE000000000', secretAccessKey: 'secret' };

/** A request as Node reads it; headers as pairs may repeat a name, in any casing. */
function request(
  method: string,
  pathAndQuery: string,
  headers: Record<string, string> | [string, string][] = {},
  body = '',
): GatewayRequest {
  const [rawPath, rawQuery = ''] = pathAndQuery.split('?');
  const headerPairs: [string, string][] = [
    ['Host', '127.0.0.1:3000'],
    ...(Array.isArray(headers) ? headers : Object.entries(headers)),
  ];
  const distinct: Record<string, string[]> = {};
  for (const [name, value] of headerPairs) distinct[name.toLowerCase()] = [...(distinct[name.toLowerCase()] ?? []), value];
  return {
    method,
    rawPath,
    rawQuery,
    headerPairs,
    headers: distinct,
    body: Buffer.from(body),
    bodyTooLarge: false,
    sourceIp: '127.0.0.1',
    receivedAt: new Date('2030-01-02T03:04:05Z'),
  };
}

/** What the listener hands on for a body over what it buffers: none of the body. */
const tooLarge = (gatewayRequest: GatewayRequest): GatewayRequest => ({
  ...gatewayRequest,
  body: Buffer.alloc(0),
  bodyTooLarge: true,
});

async function signed(
  method: string,
  path: string,
  body: string,
  credentials: typeof ADMIN & { sessionToken?: string } = ADMIN,
): Promise<GatewayRequest> {
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'execute-api', sha256: Sha256 });
  const headers = { host: '127.0.0.1:3000', 'content-type': 'application/json' };
  const signedRequest = await signer.sign(new HttpRequest({ method, path, headers, body }));
  const { host: _host, ...rest } = signedRequest.headers;
  return request(method, path, rest, body);
}

const allowingAuthorizer = (scopes: string[]) =>
  jest.fn(async (event: APIGatewayRequestAuthorizerEvent) => ({
    principalId: 'key_1',
    policyDocument: policyFor(event.methodArn, scopes, SERVICE_METHODS),
    context: { tenantId: 'acme', keyId: 'key_1', keyName: 'CI', scopes: scopes.join(' ') },
  }));

/** The console's authorizer: allows the one bearer token it knows. */
const jwtAuthorizer = jest.fn(async (event: APIGatewayRequestAuthorizerEvent) => {
  if (event.headers?.Authorization !== 'Bearer good') throw new Error('Unauthorized');
  return {
    principalId: 'user-1',
    policyDocument: consoleUserPolicyFor(event.methodArn),
    context: { tenantId: 'acme', sub: 'user-1', email: 'a@acme.example', scopes: '' },
  };
});

function setUp(authorizer: (event: APIGatewayRequestAuthorizerEvent) => Promise<unknown>, ttlSeconds = 300) {
  const seen: APIGatewayProxyEvent[] = [];
  const handler: ProxyHandler = async (event) => {
    seen.push(event);
    return { statusCode: 200, headers: { 'Cache-Control': 'no-store' }, body: '{"ok":true}' };
  };
  /** A test may put another function behind a route. */
  const handlers: Partial<Record<HandlerName, ProxyHandler>> = {};
  const cache = createAuthorizerResultCache(ttlSeconds);
  const gateway = createGateway({
    routes: ROUTES.map((route) => ({
      ...route,
      name: route.handler,
      handler: (event: APIGatewayProxyEvent) => (handlers[route.handler] ?? handler)(event),
    })),
    authorizer: createAuthorizerRunner(authorizer, cache),
    jwtAuthorizer: createAuthorizerRunner(jwtAuthorizer, createAuthorizerResultCache(0)),
    stage,
    adminCredentials: ADMIN,
  });
  return { gateway, seen, cache, handlers };
}

const KEY = { 'x-api-key': 'ak_anything' };

beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => {}));
afterEach(() => jest.restoreAllMocks());

describe('gateway: routes behind the API key authorizer', () => {
  it('refuses a request without x-api-key with 401, without calling the authorizer', async () => {
    const authorizer = allowingAuthorizer([]);
    const { gateway } = setUp(authorizer);
    const response = await gateway(request('GET', '/whoami'));
    expect(response.statusCode).toBe(401);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' });
    expect(authorizer).not.toHaveBeenCalled();
  });

  it('gives the authorizer a REST REQUEST event for the method ARN', async () => {
    const authorizer = allowingAuthorizer([]);
    const { gateway } = setUp(authorizer);
    await gateway(request('GET', '/whoami?x=1', { 'X-Api-Key': 'ak_anything' }));
    expect(authorizer.mock.calls[0][0]).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:local/v1/GET/whoami',
      resource: '/whoami',
      path: '/whoami',
      httpMethod: 'GET',
      headers: { 'X-Api-Key': 'ak_anything' },
      queryStringParameters: { x: '1' },
      pathParameters: null,
      requestContext: { stage: 'v1', apiId: 'local', resourcePath: '/whoami' },
    });
  });

  it('passes principalId and the context on to the handler and builds a REST proxy event', async () => {
    const { gateway, seen } = setUp(allowingAuthorizer(['keys:manage']));
    const response = await gateway(
      request('PATCH', '/keys/key_9?a=1&a=2', { ...KEY, 'content-type': 'application/json' }, '{"name":"n"}'),
    );
    expect(response.statusCode).toBe(200);
    expect(seen[0]).toMatchObject({
      resource: '/keys/{keyId}',
      path: '/keys/key_9',
      httpMethod: 'PATCH',
      pathParameters: { keyId: 'key_9' },
      queryStringParameters: { a: '2' },
      multiValueQueryStringParameters: { a: ['1', '2'] },
      stageVariables: null,
      body: '{"name":"n"}',
      isBase64Encoded: false,
      requestContext: {
        path: '/keys/key_9',
        resourcePath: '/keys/{keyId}',
        authorizer: { principalId: 'key_1', tenantId: 'acme', keyId: 'key_1', keyName: 'CI', scopes: 'keys:manage' },
      },
    });
  });

  it('gives each proxy event its own request time, and a header sent twice as the last and as both', async () => {
    const { gateway, seen } = setUp(allowingAuthorizer([]));
    const at = (receivedAt: string) => ({
      ...request('GET', '/whoami', [...Object.entries(KEY), ['X-Trace', 'a'], ['X-Trace', 'b']]),
      receivedAt: new Date(receivedAt),
    });
    for (const receivedAt of ['2030-01-02T03:04:05.100Z', '2030-01-02T03:04:05.900Z', '2030-01-02T03:04:06.000Z']) {
      await gateway(at(receivedAt));
    }
    expect(seen.map((event) => event.requestContext.requestTime)).toEqual([
      '02/Jan/2030:03:04:05 +0000',
      '02/Jan/2030:03:04:05 +0000',
      '02/Jan/2030:03:04:06 +0000',
    ]);
    expect(seen.map((event) => event.requestContext.requestTimeEpoch)).toEqual([
      Date.UTC(2030, 0, 2, 3, 4, 5, 100),
      Date.UTC(2030, 0, 2, 3, 4, 5, 900),
      Date.UTC(2030, 0, 2, 3, 4, 6),
    ]);
    expect(seen[0]).toMatchObject({ headers: { 'X-Trace': 'b' }, multiValueHeaders: { 'X-Trace': ['a', 'b'] } });
  });

  it('applies the policy per route: a key without the scope gets 403 on /keys', async () => {
    const { gateway } = setUp(allowingAuthorizer([]));
    expect((await gateway(request('GET', '/whoami', KEY))).statusCode).toBe(200);
    expect((await gateway(request('GET', '/keys', KEY))).statusCode).toBe(403);
  });

  it('caches the answer per key for the TTL, and a flush forgets it', async () => {
    const authorizer = allowingAuthorizer(['keys:manage']);
    const { gateway, cache } = setUp(authorizer);
    await gateway(request('GET', '/whoami', KEY));
    await gateway(request('GET', '/keys', KEY));
    expect(authorizer).toHaveBeenCalledTimes(1);
    await gateway(request('GET', '/whoami', { 'x-api-key': 'ak_other' }));
    expect(authorizer).toHaveBeenCalledTimes(2);
    cache.flush();
    await gateway(request('GET', '/whoami', KEY));
    expect(authorizer).toHaveBeenCalledTimes(3);
  });

  it('calls the authorizer every time when the TTL is 0', async () => {
    const authorizer = allowingAuthorizer([]);
    const { gateway } = setUp(authorizer, 0);
    await gateway(request('GET', '/whoami', KEY));
    await gateway(request('GET', '/whoami', KEY));
    expect(authorizer).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['throws Unauthorized', async () => Promise.reject(new Error('Unauthorized')), 401],
    // AWS answers both with AUTHORIZER_CONFIGURATION_ERROR, which the stack maps to 503.
    ['throws anything else', async () => Promise.reject(new Error('Key lookup failed')), 503],
    ['returns no policy', async () => ({ principalId: 'key_1' }), 503],
    [
      'returns a nested context value',
      async () => ({
        principalId: 'p',
        policyDocument: policyFor(`arn:aws:execute-api:r:a:local/v1/GET/x`, [], SERVICE_METHODS),
        context: { a: {} },
      }),
      503,
    ],
    ['denies', async () => ({ principalId: 'p', policyDocument: { Version: '2012-10-17', Statement: [] } }), 403],
  ])('answers as API Gateway when the authorizer %s', async (_, authorizer, status) => {
    const { gateway, seen } = setUp(authorizer);
    const response = await gateway(request('GET', '/whoami', KEY));
    expect(response.statusCode).toBe(status);
    expect(response.headers['Content-Type']).toBe('application/problem+json');
    expect(seen).toHaveLength(0);
  });

  it('does not cache a failure', async () => {
    const authorizer = jest.fn().mockRejectedValueOnce(new Error('Key lookup failed')).mockImplementation(allowingAuthorizer([]));
    const { gateway } = setUp(authorizer);
    expect((await gateway(request('GET', '/whoami', KEY))).statusCode).toBe(503);
    expect((await gateway(request('GET', '/whoami', KEY))).statusCode).toBe(200);
  });

  it('sends Retry-After with the 503 of a failing authorizer', async () => {
    const { gateway } = setUp(async () => Promise.reject(new Error('down')));
    expect((await gateway(request('GET', '/whoami', KEY))).headers['Retry-After']).toBe('1');
  });
});

describe('gateway: routing and responses', () => {
  it('answers an unknown route or method with 403 Missing Authentication Token', async () => {
    const { gateway } = setUp(allowingAuthorizer([]));
    for (const [method, path] of [
      ['GET', '/nope'],
      ['PUT', '/whoami'],
      ['GET', '/v1/whoami'],
    ]) {
      const response = await gateway(request(method, path, KEY));
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(String(response.body))).toMatchObject({
        status: 403,
        detail: 'The request is not signed, or there is no such route.',
      });
    }
  });

  it('lets anyone call an open route, without a signature or the authorizer, and names no caller', async () => {
    const authorizer = allowingAuthorizer([]);
    const { gateway, seen } = setUp(authorizer);
    const response = await gateway(request('GET', '/openapi.json'));
    expect(response.statusCode).toBe(200);
    expect(authorizer).not.toHaveBeenCalled();
    expect(seen[0].requestContext).toMatchObject({ authorizer: null, identity: { accessKey: null } });
  });

  it('refuses an unsigned admin call with 403, without calling the handler', async () => {
    const { gateway, seen } = setUp(allowingAuthorizer([]));
    expect((await gateway(request('GET', '/tenants/acme/keys'))).statusCode).toBe(403);
    expect(seen).toHaveLength(0);
  });

  it('refuses an admin call carrying X-Amz-Security-Token, signed or not, with 403 INVALID_SIGNATURE: the admin credentials are long-term', async () => {
    const { gateway, seen } = setUp(allowingAuthorizer([]));
    const signedToken = await signed('POST', '/tenants/acme/keys', '{}', { ...ADMIN, sessionToken: 'made-up' });
    const valid = await signed('POST', '/tenants/acme/keys', '{}');
    const addedToken = { ...valid, headers: { ...valid.headers, 'x-amz-security-token': ['made-up'] } };
    for (const refused of [signedToken, addedToken, tooLarge(signedToken)]) {
      const response = await gateway(refused);
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(String(response.body)).detail).toBe('The request signature is not valid.');
    }
    expect(seen).toHaveLength(0);
    expect((await gateway(valid)).statusCode).toBe(200);
  });

  it('adds a request id to every response', async () => {
    const { gateway } = setUp(allowingAuthorizer([]));
    expect((await gateway(request('GET', '/nope'))).headers['x-amzn-RequestId']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await gateway(request('GET', '/whoami', KEY))).headers['x-amzn-RequestId']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('turns a handler that throws or answers nonsense into 502', async () => {
    const { gateway, handlers } = setUp(allowingAuthorizer([]));
    handlers.whoami = async () => Promise.reject(new Error('boom'));
    expect((await gateway(request('GET', '/whoami', KEY))).statusCode).toBe(502);
    handlers.whoami = async () => ({ statusCode: 'ok' });
    expect((await gateway(request('GET', '/whoami', KEY))).statusCode).toBe(502);
  });

  it('merges headers and multi-value headers and defaults Content-Type like API Gateway', async () => {
    const { gateway, handlers } = setUp(allowingAuthorizer([]));
    handlers.whoami = async () => ({
      statusCode: 200,
      headers: { 'X-One': '1', 'x-two': 'a' },
      multiValueHeaders: { 'X-Two': ['b', 'c'] },
      body: 'e30=',
      isBase64Encoded: true,
    });
    const response = await gateway(request('GET', '/whoami', KEY));
    expect(response.headers).toMatchObject({ 'X-One': '1', 'X-Two': ['b', 'c'], 'Content-Type': 'application/json' });
    expect(response.headers['x-two']).toBeUndefined();
    expect(String(response.body)).toBe('{}');
  });
});

describe('gateway: its own responses', () => {
  it('carry the deployed gateway responses’ headers, X-Content-Type-Options included', async () => {
    const { gateway } = setUp(async () => Promise.reject(new Error('down')));
    const responses = [
      await gateway(request('GET', '/whoami')), // 401
      await gateway(request('GET', '/nope')), // 403
      await gateway(request('GET', '/tenants/acme/keys')), // 403, unsigned
      await gateway(request('GET', '/whoami', KEY)), // 503
      await gateway(tooLarge(await signed('POST', '/tenants/acme/keys', '{}'))), // 413
    ];
    expect(responses.map((response) => response.statusCode)).toEqual([401, 403, 403, 503, 413]);
    for (const response of responses)
      expect(response.headers).toMatchObject({ ...PROBLEM_HEADERS, 'X-Content-Type-Options': 'nosniff' });
  });
});

describe('gateway: more than one x-api-key', () => {
  /** Judges the first x-api-key it finds, as the authorizer once did: only ak_valid gets in. */
  const firstHeaderAuthorizer = () =>
    jest.fn(async (event: APIGatewayRequestAuthorizerEvent) => {
      const [, key] = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'x-api-key') ?? [];
      if (key !== 'ak_valid') throw new Error('Unauthorized');
      return allowingAuthorizer([]).getMockImplementation()!(event);
    });

  it.each([
    [
      'in two casings',
      [
        ['X-Api-Key', 'ak_valid'],
        ['x-api-key', 'ak_junk'],
      ],
    ],
    [
      'in the same casing',
      [
        ['x-api-key', 'ak_valid'],
        ['x-api-key', 'ak_junk'],
      ],
    ],
    [
      'the other way round',
      [
        ['x-api-key', 'ak_junk'],
        ['X-API-KEY', 'ak_valid'],
      ],
    ],
  ] as [string, [string, string][]][])(
    'refuses two different values %s with 401, without calling the authorizer',
    async (_, headers) => {
      const authorizer = firstHeaderAuthorizer();
      const { gateway, seen } = setUp(authorizer);
      const response = await gateway(request('GET', '/whoami', headers));
      expect(response.statusCode).toBe(401);
      expect(JSON.parse(String(response.body)).title).toBe('Unauthorized');
      expect(authorizer).not.toHaveBeenCalled();
      expect(seen).toHaveLength(0);
    },
  );

  it('caches nothing for either value, so neither is let in later on the other’s answer', async () => {
    const authorizer = firstHeaderAuthorizer();
    const { gateway } = setUp(authorizer);
    await gateway(
      request('GET', '/whoami', [
        ['X-Api-Key', 'ak_valid'],
        ['x-api-key', 'ak_junk'],
      ]),
    );
    expect((await gateway(request('GET', '/whoami', { 'x-api-key': 'ak_junk' }))).statusCode).toBe(401);
    expect((await gateway(request('GET', '/whoami', { 'x-api-key': 'ak_valid' }))).statusCode).toBe(200);
    expect((await gateway(request('GET', '/whoami', { 'x-api-key': 'ak_junk' }))).statusCode).toBe(401);
  });

  it('takes the same value sent twice as one key, cached under exactly that value', async () => {
    const authorizer = firstHeaderAuthorizer();
    const { gateway } = setUp(authorizer);
    expect(
      (
        await gateway(
          request('GET', '/whoami', [
            ['x-api-key', 'ak_valid'],
            ['X-Api-Key', 'ak_valid'],
          ]),
        )
      ).statusCode,
    ).toBe(200);
    expect((await gateway(request('GET', '/whoami', { 'x-api-key': 'ak_valid' }))).statusCode).toBe(200);
    expect(authorizer).toHaveBeenCalledTimes(1);
  });
});

describe('gateway: request bodies', () => {
  const BIG = JSON.stringify({ name: 'x'.repeat(11 * 1024) });

  it('hands a body over 10 KiB that it holds to the handler, which answers 413 itself as deployed', async () => {
    const { gateway, seen } = setUp(allowingAuthorizer(['keys:manage']));
    expect((await gateway(request('POST', '/keys', { ...KEY, 'content-type': 'application/json' }, BIG))).statusCode).toBe(200);
    expect((await gateway(await signed('POST', '/tenants/acme/keys', BIG))).statusCode).toBe(200);
    expect(seen.map((event) => event.body)).toEqual([BIG, BIG]);
  });

  describe('too large to hold: authenticates first, then 413', () => {
    it('behind the authorizer: 401 without a key or with a refused one, 403 without the scope, else 413', async () => {
      const bigRequest = (headers: Record<string, string>) =>
        tooLarge(request('POST', '/keys', { 'content-type': 'application/json', ...headers }));
      const { gateway: refusing } = setUp(async () => Promise.reject(new Error('Unauthorized')));
      expect((await refusing(bigRequest({}))).statusCode).toBe(401);
      expect((await refusing(bigRequest(KEY))).statusCode).toBe(401);
      const { gateway: unscoped } = setUp(allowingAuthorizer([]));
      expect((await unscoped(bigRequest(KEY))).statusCode).toBe(403);
      const { gateway, seen } = setUp(allowingAuthorizer(['keys:manage']));
      const response = await gateway(bigRequest(KEY));
      expect(response.statusCode).toBe(413);
      expect(JSON.parse(String(response.body))).toMatchObject({ status: 413, title: 'Content Too Large' });
      expect(seen).toHaveLength(0);
    });

    it('on an admin route: 403 when unsigned or signed with unknown credentials, else 413 (the signature needs the body)', async () => {
      const { gateway, seen } = setUp(allowingAuthorizer([]));
      const unsigned = await gateway(tooLarge(request('POST', '/tenants/acme/keys', { 'content-type': 'application/json' })));
      expect(unsigned.statusCode).toBe(403);
      const unknown = await gateway(
        tooLarge(await signed('POST', '/tenants/acme/keys', BIG, { ...ADMIN, accessKeyId: 'AKIAUNKNOWN000000000' })),
      );
      expect(JSON.parse(String(unknown.body)).detail).toBe('The request signature is not valid.');
      expect((await gateway(tooLarge(await signed('POST', '/tenants/acme/keys', BIG)))).statusCode).toBe(413);
      expect(seen).toHaveLength(0);
    });

    it('answers 403 for an unknown route, as for any other request', async () => {
      const { gateway } = setUp(allowingAuthorizer([]));
      expect((await gateway(tooLarge(request('POST', '/nope', KEY)))).statusCode).toBe(403);
    });
  });
});

describe('gateway: the console', () => {
  it('serves the page and its assets to anyone, with no authorizer', async () => {
    const { gateway, seen } = setUp(allowingAuthorizer([]));
    expect((await gateway(request('GET', '/console'))).statusCode).toBe(200);
    expect((await gateway(request('GET', '/console/favicon.svg'))).statusCode).toBe(200);
    expect(seen.map((event) => [event.resource, event.requestContext.authorizer])).toEqual([
      ['/console', null],
      ['/console/{file}', null],
    ]);
  });

  it('runs the JWT authorizer on the console API, caching nothing, and passes its context on', async () => {
    jwtAuthorizer.mockClear();
    const { gateway, seen } = setUp(allowingAuthorizer([]));
    for (let i = 0; i < 2; i++) {
      expect((await gateway(request('GET', '/console/api/keys', { Authorization: 'Bearer good' }))).statusCode).toBe(200);
    }
    expect(jwtAuthorizer).toHaveBeenCalledTimes(2);
    expect(seen[0].requestContext.authorizer).toEqual({
      tenantId: 'acme',
      sub: 'user-1',
      email: 'a@acme.example',
      scopes: '',
      principalId: 'user-1',
    });
    const refused = await gateway(request('GET', '/console/api/keys', { Authorization: 'Bearer bad' }));
    expect(refused.statusCode).toBe(401);
    expect((await gateway(request('GET', '/console/api/keys'))).statusCode).toBe(401);
  });

  it('does not let an API key reach the console API, nor a console token the key routes', async () => {
    const { gateway } = setUp(allowingAuthorizer(['keys:manage']));
    expect((await gateway(request('GET', '/console/api/keys', KEY))).statusCode).toBe(401);
    expect((await gateway(request('GET', '/keys', { Authorization: 'Bearer good' }))).statusCode).toBe(401);
  });
});

describe("gateway: a method's own throttle", () => {
  it('lets POST /revoke through up to its burst, then 429 for every caller alike, and refills at its rate', async () => {
    let now = Date.parse('2030-01-02T03:04:05Z');
    const handler = jest.fn<ReturnType<ProxyHandler>, Parameters<ProxyHandler>>(async () => ({ statusCode: 202, body: '{}' }));
    const gateway = createGateway({
      routes: ROUTES.map((route) => ({ ...route, name: route.handler, handler })),
      authorizer: createAuthorizerRunner(allowingAuthorizer([]), createAuthorizerResultCache(0)),
      stage,
      now: () => now,
    });
    const revoke = (from: string) =>
      gateway({ ...request('POST', '/revoke', { 'content-type': 'application/json' }, '{"key":"k"}'), sourceIp: from });
    const throttle = ROUTES.find((route) => route.path === '/revoke')?.throttle;
    expect(throttle).toEqual({ rateLimit: 10, burstLimit: 20 });
    const answers = [];
    for (let index = 0; index < 21; index++) answers.push((await revoke(`203.0.113.${index}`)).statusCode);
    expect(answers).toEqual([...Array(20).fill(202), 429]);
    const throttled = await revoke('198.51.100.1');
    expect(throttled.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': '1' });
    expect(handler).toHaveBeenCalledTimes(20);
    now += 100;
    expect((await revoke('198.51.100.1')).statusCode).toBe(202);
    // Other methods keep to the stage's limits alone.
    expect((await gateway(request('GET', '/openapi.json'))).statusCode).toBe(202);
    expect(handler).toHaveBeenCalledTimes(22);
  });
});
