/**
 * The HTTP contract of DESIGN §3 at the edges: bad input, refused credentials,
 * problem+json everywhere, Cache-Control and nosniff on every response, and real curl --aws-sigv4.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { generateKey } from '../../src/domain/key-format';
import { type ApiResponse, call, signedCall } from '../support/api-client';
import { curl } from '../support/curl';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { sendRaw } from '../support/raw-http';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ECONTRACT00000', secretAccessKey: 'contract-secret-00000000000000000000000' };
const TENANT = 'contract';
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let existing: { id: string; key: string };
let manager: { id: string; key: string };

const admin = (method: string, path: string, options: Parameters<typeof signedCall>[4] = {}) =>
  signedCall(server.baseUrl, ADMIN, method, path, options);
/** The tenant's keys. lastUsedAt is left out: the authorizer records a valid key's use even when the handler refuses the request. */
async function listTenant(): Promise<unknown[]> {
  const { items } = (await admin('GET', `/tenants/${TENANT}/keys?limit=100`)).json;
  return items.map(({ lastUsedAt: _lastUsedAt, ...item }: { lastUsedAt: unknown }) => item);
}

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-contract');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
  existing = (await admin('POST', `/tenants/${TENANT}/keys`, { body: { name: 'Existing' } })).json;
  manager = (await admin('POST', `/tenants/${TENANT}/keys`, { body: { name: 'Manager', scopes: ['keys:manage'] } })).json;
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

function expectProblem(response: ApiResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.json).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }),
  );
}

/** Runs a refused request and checks that the tenant's keys are exactly as before. */
async function expectRefusedWithoutWrites(request: () => Promise<ApiResponse>, status: number): Promise<ApiResponse> {
  const before = await listTenant();
  const response = await request();
  expectProblem(response, status);
  expect(await listTenant()).toEqual(before);
  return response;
}

describe('bad input: a problem+json 4xx, and nothing written', () => {
  const create = (body: unknown, headers?: Record<string, string>) => () =>
    admin('POST', `/tenants/${TENANT}/keys`, { body, headers });

  it('400 for a body that is not JSON', async () => {
    await expectRefusedWithoutWrites(create('{"name": "unterminated', { 'content-type': 'application/json' }), 400);
  });

  it('400 naming the unknown field', async () => {
    const response = await expectRefusedWithoutWrites(create({ name: 'x', colour: 'red' }), 400);
    expect(response.json.errors).toEqual([expect.objectContaining({ message: expect.stringContaining('colour') })]);
  });

  it.each([
    ['an empty name', { name: '   ' }, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
    ['a name with a control character', { name: 'tab\there' }, 'name'],
    ['a missing name', { scopes: [] }, 'name'],
    ['a bad scope', { name: 'x', scopes: ['Orders Read'] }, 'scopes.0'],
    ['21 scopes', { name: 'x', scopes: Array.from({ length: 21 }, (_, i) => `s${i}`) }, 'scopes'],
    ['a date that is not ISO-8601', { name: 'x', expiresAt: 'next tuesday' }, 'expiresAt'],
    ['a date in the past', { name: 'x', expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
  ])('400 for %s, with errors', async (_, body, path) => {
    const response = await expectRefusedWithoutWrites(create(body), 400);
    expect(response.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('400 for bad updates and rotations, leaving the key as it was', async () => {
    const keyPath = `/tenants/${TENANT}/keys/${existing.id}`;
    for (const body of [{}, { enabled: 'no' }, { name: '' }, { expiresAt: 'soon' }]) {
      await expectRefusedWithoutWrites(() => admin('PATCH', keyPath, { body }), 400);
    }
    for (const body of [{ gracePeriodSeconds: -1 }, { gracePeriodSeconds: 604_801 }, { gracePeriodSeconds: 1.5 }, { grace: 1 }]) {
      await expectRefusedWithoutWrites(() => admin('POST', `${keyPath}/rotate`, { body }), 400);
    }
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: existing.key })).status).toBe(200);
  });

  it.each([
    ['a cursor it did not issue', 'cursor=bm90LWEtY3Vyc29y'],
    ['limit 0', 'limit=0'],
    ['limit 101', 'limit=101'],
    ['a limit that is not a number', 'limit=ten'],
  ])('400 for a list with %s', async (_, query) => {
    expectProblem(await admin('GET', `/tenants/${TENANT}/keys?${query}`), 400);
  });

  it('413 for a body over 10 KiB', async () => {
    const body = JSON.stringify({ name: 'x', padding: 'p'.repeat(10 * 1024) });
    const response = await expectRefusedWithoutWrites(create(body, { 'content-type': 'application/json' }), 413);
    expect(response.json.title).toBe('Content Too Large');
  });

  it('413 too for an oversized body on a route behind the authorizer', async () => {
    const response = await call(server.baseUrl, 'POST', '/keys', { apiKey: manager.key, body: { name: 'x'.repeat(11 * 1024) } });
    expectProblem(response, 413);
  });

  describe('an oversized body is only judged once the caller is', () => {
    // As deployed: API Gateway's own limit is 10 MB, so authentication comes first and the handler answers 413.
    const OVER_10_KIB = JSON.stringify({ name: 'x'.repeat(11 * 1024) });
    // Past the 1 MiB local mode holds in memory, the gateway still authenticates, then answers 413 itself.
    const OVER_1_MIB = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) });

    it.each([
      ['over 10 KiB', OVER_10_KIB],
      ['over 1 MiB', OVER_1_MIB],
    ])('%s behind the authorizer: 401 without a valid key, 403 without the scope, 413 with both', async (_, body) => {
      const selfCreate = (apiKey?: string) => () =>
        call(server.baseUrl, 'POST', '/keys', { apiKey, body, headers: { 'content-type': 'application/json' } });
      await expectRefusedWithoutWrites(selfCreate(), 401);
      await expectRefusedWithoutWrites(selfCreate(generateKey('ak')), 401);
      await expectRefusedWithoutWrites(selfCreate(existing.key), 403);
      await expectRefusedWithoutWrites(selfCreate(manager.key), 413);
    });

    it.each([
      ['over 10 KiB', OVER_10_KIB],
      ['over 1 MiB', OVER_1_MIB],
    ])('%s on an admin route: 403 unsigned or signed with unknown credentials, 413 when signed', async (_, body) => {
      const adminCreate = (credentials?: typeof ADMIN) => () =>
        credentials
          ? signedCall(server.baseUrl, credentials, 'POST', `/tenants/${TENANT}/keys`, {
              body,
              headers: { 'content-type': 'application/json' },
            })
          : call(server.baseUrl, 'POST', `/tenants/${TENANT}/keys`, { body, headers: { 'content-type': 'application/json' } });
      await expectRefusedWithoutWrites(adminCreate(), 403);
      await expectRefusedWithoutWrites(adminCreate({ ...ADMIN, accessKeyId: 'AKIAUNKNOWN000000000' }), 403);
      await expectRefusedWithoutWrites(adminCreate(ADMIN), 413);
    });
  });

  it('415 for a body that is not application/json', async () => {
    await expectRefusedWithoutWrites(create('{"name":"x"}', { 'content-type': 'text/plain' }), 415);
  });

  it('the same answers on the self-service routes', async () => {
    const selfCreate = (body: unknown, headers?: Record<string, string>) => () =>
      call(server.baseUrl, 'POST', '/keys', { apiKey: manager.key, body, headers });
    await expectRefusedWithoutWrites(selfCreate('not json', { 'content-type': 'application/json' }), 400);
    await expectRefusedWithoutWrites(selfCreate({ name: 'x', extra: true }), 400);
    await expectRefusedWithoutWrites(selfCreate('{"name":"x"}', { 'content-type': 'text/plain' }), 415);
    expectProblem(await call(server.baseUrl, 'GET', '/keys?limit=0', { apiKey: manager.key }), 400);
  });
});

describe('requests the route does not take: a problem+json 400 naming what, and nothing written', () => {
  const plan = () => admin('GET', `/tenants/${TENANT}`);

  it.each([
    ['GET /tenants/{tenantId}', () => admin('GET', `/tenants/${TENANT}?colour=red`)],
    ['PUT /tenants/{tenantId}', () => admin('PUT', `/tenants/${TENANT}?colour=red`, { body: { plan: 'pro' } })],
    ['GET /whoami', () => call(server.baseUrl, 'GET', '/whoami?colour=red', { apiKey: existing.key })],
    ['GET /openapi.json', () => call(server.baseUrl, 'GET', '/openapi.json?colour=red')],
    ['POST /verify', () => admin('POST', '/verify?colour=red', { body: { key: existing.key } })],
    ['GET /tenants/{tenantId}/keys/{keyId}', () => admin('GET', `/tenants/${TENANT}/keys/${existing.id}?colour=red`)],
    ['GET /tenants/{tenantId}/keys', () => admin('GET', `/tenants/${TENANT}/keys?colour=red&limit=5`)],
  ])('%s with an unknown query parameter', async (_, request) => {
    const planBefore = (await plan()).json;
    const response = await expectRefusedWithoutWrites(request, 400);
    expect(response.json.errors).toEqual([{ path: 'query', message: expect.stringContaining('colour') }]);
    expect((await plan()).json).toEqual(planBefore);
  });

  it('two different Idempotency-Key headers, which would leave a retry with the first issuing a second key', async () => {
    const before = await listTenant();
    // Two header lines, as curl sends them; the handlers on admin and self-service routes are the same.
    const twice = (first: string, second: string) =>
      curl([
        ...['-H', `x-api-key: ${manager.key}`, '-H', 'content-type: application/json'],
        ...['-H', `Idempotency-Key: ${first}`, '-H', `idempotency-key: ${second}`],
        ...['-d', '{"name":"Twice"}', `${server.baseUrl}/keys`],
      ]);
    const refused = await twice('first-attempt', 'second-attempt');
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(refused.body).errors).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
    expect(await listTenant()).toEqual(before);
    // The same value twice is one value.
    const created = await twice('same-value', 'same-value');
    expect(created.status).toBe(201);
    expect((await admin('DELETE', `/tenants/${TENANT}/keys/${JSON.parse(created.body).id}`)).status).toBe(204);
  });
});

describe('refused credentials', () => {
  it('403 for an unsigned admin call, which writes nothing', async () => {
    const response = await expectRefusedWithoutWrites(
      () => call(server.baseUrl, 'POST', `/tenants/${TENANT}/keys`, { body: { name: 'x' } }),
      403,
    );
    expect(response.json.detail).toBe('The request is not signed, or there is no such route.');
  });

  it.each([
    ['a wrong secret', { ...ADMIN, secretAccessKey: 'wrong' }, {}, 'The request signature is not valid.'],
    ['an unknown access key', { ...ADMIN, accessKeyId: 'AKIAUNKNOWN000000000' }, {}, 'The request signature is not valid.'],
    ['another region', ADMIN, { region: 'eu-west-1' }, 'The request signature is not valid.'],
    [
      'a session token with long-term credentials',
      { ...ADMIN, sessionToken: 'made-up' },
      {},
      'The request signature is not valid.',
    ],
    [
      'a ten-minute-old signature',
      ADMIN,
      { signingDate: new Date(Date.now() - 10 * 60_000) },
      'The request signature or security token has expired.',
    ],
  ])('403 for %s, which writes nothing', async (_, credentials, options, detail) => {
    const response = await expectRefusedWithoutWrites(
      () => signedCall(server.baseUrl, credentials, 'POST', `/tenants/${TENANT}/keys`, { body: { name: 'x' }, ...options }),
      403,
    );
    expect(response.json.detail).toBe(detail);
  });

  it('403 for a second X-Amz-Date the client did not sign, as AWS refuses it', async () => {
    const { host } = new URL(server.baseUrl);
    const signer = new SignatureV4({ credentials: ADMIN, region: 'us-east-1', service: 'execute-api', sha256: Sha256 });
    const signed = await signer.sign(new HttpRequest({ method: 'GET', path: `/tenants/${TENANT}/keys`, headers: { host } }));
    const send = (extra: string[]) =>
      sendRaw(server.baseUrl, [
        [
          `GET /tenants/${TENANT}/keys HTTP/1.1`,
          ...Object.entries(signed.headers).map(([name, value]) => `${name}: ${value}`),
          ...extra,
          'connection: close',
          '',
          '',
        ].join('\r\n'),
      ]);
    expect((await send([])).status).toBe(200);
    const refused = await send([`X-Amz-Date: ${signed.headers['x-amz-date'].slice(0, 9)}000000Z`]);
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toBe('application/problem+json');
  });

  it('401 with one identical body for a missing, malformed, unknown or disabled key', async () => {
    const disabled = (await admin('POST', `/tenants/${TENANT}/keys`, { body: { name: 'Disabled' } })).json;
    await admin('PATCH', `/tenants/${TENANT}/keys/${disabled.id}`, { body: { enabled: false } });
    const responses = [
      await call(server.baseUrl, 'GET', '/whoami'),
      await call(server.baseUrl, 'GET', '/whoami', { apiKey: '' }),
      await call(server.baseUrl, 'GET', '/whoami', { apiKey: 'not-a-key' }),
      await call(server.baseUrl, 'GET', '/whoami', { apiKey: `${existing.key.slice(0, -1)}x` }), // checksum broken
      await call(server.baseUrl, 'GET', '/whoami', { apiKey: generateKey('ak') }), // well-formed, unknown
      await call(server.baseUrl, 'GET', '/whoami', { apiKey: disabled.key }),
      await call(server.baseUrl, 'GET', '/keys', { apiKey: generateKey('ak') }),
    ];
    for (const response of responses) expectProblem(response, 401);
    expect(new Set(responses.map((response) => response.text)).size).toBe(1);
  });

  it('401 for two different x-api-key values, which leave no cached answer for either', async () => {
    const whoami = (...headers: string[]) => curl([...headers.flatMap((header) => ['-H', header]), `${server.baseUrl}/whoami`]);
    const both = await whoami(`X-Api-Key: ${existing.key}`, 'x-api-key: junk');
    expect(both.status).toBe(401);
    expect(both.headers['content-type']).toBe('application/problem+json');
    expect((await whoami('x-api-key: junk', `X-API-KEY: ${existing.key}`)).status).toBe(401);
    expect((await whoami('x-api-key: junk')).status).toBe(401);
    expect((await whoami(`x-api-key: ${existing.key}`)).status).toBe(200);
    expect((await whoami('X-Api-Key: junk')).status).toBe(401);
    // The same key twice is one key.
    expect((await whoami(`x-api-key: ${existing.key}`, `X-Api-Key: ${existing.key}`)).status).toBe(200);
  });

  it('403 for unknown routes and methods, like API Gateway', async () => {
    expectProblem(await call(server.baseUrl, 'GET', '/nothing-here'), 403);
    expectProblem(await call(server.baseUrl, 'PUT', '/whoami', { apiKey: existing.key }), 403);
    expectProblem(await admin('GET', '/v1/whoami'), 403);
  });
});

describe('Cache-Control: no-store and X-Content-Type-Options: nosniff', () => {
  it('is on every kind of response', async () => {
    const created = await admin('POST', `/tenants/${TENANT}/keys`, { body: { name: 'Temporary' } });
    const responses = [
      created,
      await admin('GET', `/tenants/${TENANT}/keys`),
      await admin('GET', `/tenants/${TENANT}/keys/${created.json.id}`),
      await admin('PATCH', `/tenants/${TENANT}/keys/${created.json.id}`, { body: { name: 'T' } }),
      await admin('POST', `/tenants/${TENANT}/keys/${created.json.id}/rotate`),
      await admin('DELETE', `/tenants/${TENANT}/keys/${created.json.id}`),
      await admin('GET', `/tenants/${TENANT}/keys/${created.json.id}`),
      await call(server.baseUrl, 'GET', '/whoami', { apiKey: existing.key }),
      await call(server.baseUrl, 'GET', '/keys', { apiKey: existing.key }),
      await call(server.baseUrl, 'GET', '/whoami'),
      await call(server.baseUrl, 'GET', '/nope'),
    ];
    expect(responses.map((response) => response.status)).toEqual([201, 200, 200, 200, 201, 204, 404, 200, 403, 401, 403]);
    for (const response of responses) {
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('real curl --aws-sigv4', () => {
  const sigv4 = () => ['--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', `${ADMIN.accessKeyId}:${ADMIN.secretAccessKey}`];

  it('creates, reads, lists with a query, updates, rotates and deletes', async () => {
    const created = await curl([
      ...sigv4(),
      '-H',
      'content-type: application/json',
      '-d',
      '{"name":"From curl","scopes":["a:b"]}',
      `${server.baseUrl}/tenants/curl/keys`,
    ]);
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { id, key } = JSON.parse(created.body);
    expect(created.headers.location).toBe(`/tenants/curl/keys/${id}`);

    expect((await curl([...sigv4(), `${server.baseUrl}/tenants/curl/keys/${id}`])).status).toBe(200);
    const listed = await curl([...sigv4(), `${server.baseUrl}/tenants/curl/keys?limit=5`]);
    expect(JSON.parse(listed.body).items).toHaveLength(1);
    const patched = await curl([
      ...sigv4(),
      '-X',
      'PATCH',
      '-H',
      'content-type: application/json',
      '-d',
      '{"enabled":false}',
      `${server.baseUrl}/tenants/curl/keys/${id}`,
    ]);
    expect(JSON.parse(patched.body).enabled).toBe(false);
    const rotated = await curl([...sigv4(), '-X', 'POST', `${server.baseUrl}/tenants/curl/keys/${id}/rotate`]);
    expect(rotated.status).toBe(201);
    const deleted = await curl([
      ...sigv4(),
      '-X',
      'DELETE',
      `${server.baseUrl}/tenants/curl/keys/${JSON.parse(rotated.body).id}`,
    ]);
    expect(deleted.status).toBe(204);

    expect((await curl(['-H', `x-api-key: ${key}`, `${server.baseUrl}/whoami`])).status).toBe(401);
  });

  it('is refused with a wrong secret or region', async () => {
    const wrongSecret = await curl([
      '--aws-sigv4',
      'aws:amz:us-east-1:execute-api',
      '--user',
      `${ADMIN.accessKeyId}:nope`,
      `${server.baseUrl}/tenants/curl/keys`,
    ]);
    const wrongRegion = await curl([
      '--aws-sigv4',
      'aws:amz:eu-west-1:execute-api',
      '--user',
      `${ADMIN.accessKeyId}:${ADMIN.secretAccessKey}`,
      `${server.baseUrl}/tenants/curl/keys`,
    ]);
    for (const response of [wrongSecret, wrongRegion]) {
      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
  });
});
