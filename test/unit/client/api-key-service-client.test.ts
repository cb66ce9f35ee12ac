/**
 * The client against a fake fetch that answers with responses recorded from the
 * API (problem+json bodies and headers as `npm start` sends them), so every
 * branch is tried without a server and without waiting: retries run on Jest's fake timers.
 */
import { ApiKeyServiceClient, ApiProblemError, RequestTimeoutError, SelfServiceClient } from '../../../src/client';
import { API_KEY_RESOURCE } from '../../fixtures/keys';

const ENDPOINT = 'http://127.0.0.1:3917';
const CREDENTIALS = { accessKeyId: 'AKIAUNITTEST00000000', secretAccessKey: 'unit-test-secret' };
const API_KEY = API_KEY_RESOURCE;
const KEY_ID = API_KEY.id;

const PROBLEM_HEADERS = { 'content-type': 'application/problem+json', 'cache-control': 'no-store' };
/** Recorded from npm start. */
const RECORDED = {
  validation: {
    status: 400,
    headers: PROBLEM_HEADERS,
    body: {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is not valid.',
      errors: [{ path: 'expiresAt', message: 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-01T00:00:00Z' }],
    },
  },
  notFound: {
    status: 404,
    headers: PROBLEM_HEADERS,
    body: { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such key.' },
  },
  unavailable: {
    status: 503,
    headers: { ...PROBLEM_HEADERS, 'retry-after': '2' },
    body: {
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The service is temporarily unavailable; retry shortly.',
    },
  },
  throttled: {
    status: 429,
    headers: { ...PROBLEM_HEADERS, 'retry-after': '1' },
    body: { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Too many requests; slow down and retry.' },
  },
  quotaExceeded: {
    status: 429,
    headers: { ...PROBLEM_HEADERS, 'retry-after': '60' },
    body: { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'The request quota is used up.' },
  },
  forbidden: {
    status: 403,
    headers: PROBLEM_HEADERS,
    body: { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'The request signature is not valid.' },
  },
} as const;

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A fetch that answers each call with the next answer, and remembers what it was asked. */
function fakeFetch(...answers: (Answer | 'hang')[]) {
  const calls: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  const fetch = jest.fn(async (url: URL | string, init: RequestInit = {}) => {
    calls.push({
      url: String(url),
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body as string,
    });
    const answer = answers.shift();
    if (answer === undefined) throw new Error('No more answers');
    if (answer === 'hang') {
      return new Promise<Response>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }),
      );
    }
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(answer.status === 204 ? null : text, { status: answer.status, headers: answer.headers });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const ok = (body: unknown, status = 200, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

function admin(fetch: typeof globalThis.fetch, options: Partial<ConstructorParameters<typeof ApiKeyServiceClient>[0]> = {}) {
  return new ApiKeyServiceClient({ endpoint: ENDPOINT, credentials: CREDENTIALS, fetch, ...options });
}

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('it resolved');
    },
    (error: unknown) => error,
  );
}

afterEach(() => jest.useRealTimers());

describe('ApiKeyServiceClient: requests', () => {
  it('signs with SigV4 for execute-api, the host with its port among the signed headers', async () => {
    const { fetch, calls } = fakeFetch(ok({ ...API_KEY, key: 'ak_x' }, 201, { location: `/tenants/acme/keys/${KEY_ID}` }));
    await admin(fetch, { region: 'eu-west-1' }).createKey('acme', { name: 'CI' });
    const { headers } = calls[0];
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAUNITTEST00000000\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers).not.toHaveProperty('host');
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('signs for the Region an execute-api endpoint names, and keeps the stage in every path', async () => {
    const { fetch, calls } = fakeFetch(ok({ items: [], nextCursor: null }));
    const client = new ApiKeyServiceClient({
      endpoint: 'https://abc123.execute-api.ap-southeast-2.amazonaws.com/v1',
      credentials: CREDENTIALS,
      fetch,
    });
    await client.listKeys('acme', { limit: 5 });
    expect(calls[0].url).toBe('https://abc123.execute-api.ap-southeast-2.amazonaws.com/v1/tenants/acme/keys?limit=5');
    expect(calls[0].headers.authorization).toContain('/ap-southeast-2/execute-api/');
  });

  it.each([
    [{ AWS_REGION: 'eu-central-1' }, 'eu-central-1'],
    [{ AWS_DEFAULT_REGION: 'sa-east-1' }, 'sa-east-1'],
    [{}, 'us-east-1'],
  ])('signs for the Region of the environment %j, else us-east-1, where the endpoint names none', async (env, region) => {
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    Object.assign(process.env, env);
    try {
      const { fetch, calls } = fakeFetch(ok(API_KEY));
      await admin(fetch).getKey('acme', KEY_ID);
      expect(calls[0].headers.authorization).toContain(`/${region}/execute-api/`);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('sends one route per method, with JSON bodies and encoded path segments', async () => {
    const { fetch, calls } = fakeFetch(
      ok(API_KEY),
      ok(API_KEY),
      { status: 204, headers: { 'cache-control': 'no-store' } },
      ok({ ...API_KEY, key: 'ak_y', rotatedFrom: KEY_ID }, 201),
      ok({ valid: false, code: 'NOT_FOUND' }),
    );
    const client = admin(fetch);
    await client.getKey('a.b_c-d', KEY_ID);
    await client.updateKey('acme', KEY_ID, { enabled: false, expiresAt: null });
    await expect(client.deleteKey('acme', KEY_ID)).resolves.toBeUndefined();
    await client.rotateKey('acme', KEY_ID, { gracePeriodSeconds: 3600 });
    expect(await client.verifyKey('ak_made_up', 'orders:read')).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect(calls.map(({ method, url, body }) => [method, url.slice(ENDPOINT.length), body])).toEqual([
      ['GET', `/tenants/a.b_c-d/keys/${KEY_ID}`, undefined],
      ['PATCH', `/tenants/acme/keys/${KEY_ID}`, '{"enabled":false,"expiresAt":null}'],
      ['DELETE', `/tenants/acme/keys/${KEY_ID}`, undefined],
      ['POST', `/tenants/acme/keys/${KEY_ID}/rotate`, '{"gracePeriodSeconds":3600}'],
      ['POST', '/verify', '{"key":"ak_made_up","scope":"orders:read"}'],
    ]);
    expect(calls[1].headers['content-type']).toBe('application/json');
  });

  it('iterates over every page, passing each page’s cursor on', async () => {
    const { fetch, calls } = fakeFetch(
      ok({ items: [API_KEY], nextCursor: 'c1' }),
      ok({ items: [API_KEY], nextCursor: 'c2' }),
      ok({ items: [], nextCursor: null }),
    );
    const pages = [];
    for await (const page of admin(fetch).listKeyPages('acme', { limit: 1 })) pages.push(page);
    expect(pages.map((page) => page.items.length)).toEqual([1, 1, 0]);
    expect(calls.map(({ url }) => url.slice(ENDPOINT.length))).toEqual([
      '/tenants/acme/keys?limit=1',
      '/tenants/acme/keys?cursor=c1&limit=1',
      '/tenants/acme/keys?cursor=c2&limit=1',
    ]);
  });

  it('fetches /openapi.json without signing it', async () => {
    const { fetch, calls } = fakeFetch(ok({ openapi: '3.1.0', paths: {} }));
    expect(await admin(fetch).openApiDocument()).toMatchObject({ openapi: '3.1.0' });
    expect(calls[0].headers).not.toHaveProperty('authorization');
  });
});

describe('ApiKeyServiceClient: errors', () => {
  it('throws a typed ApiProblemError with the status, title, detail and field errors', async () => {
    const { fetch } = fakeFetch(RECORDED.validation);
    const error = await rejection(admin(fetch).createKey('acme', { name: 'CI', expiresAt: 'yesterday' }));
    expect(error).toBeInstanceOf(ApiProblemError);
    expect(error).toMatchObject({
      status: 400,
      title: 'Bad Request',
      detail: 'The request is not valid.',
      errors: [{ path: 'expiresAt', message: expect.stringContaining('ISO-8601') }],
    });
  });

  it('a 404 has no field errors, and is not retried', async () => {
    const { fetch, calls } = fakeFetch(RECORDED.notFound);
    expect(await rejection(admin(fetch).getKey('acme', KEY_ID))).toMatchObject({ status: 404, title: 'Not Found', errors: [] });
    expect(calls).toHaveLength(1);
  });

  it('an answer that is not problem+json (a proxy’s) still becomes an ApiProblemError', async () => {
    const { fetch } = fakeFetch({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' });
    expect(await rejection(admin(fetch).getKey('acme', KEY_ID))).toMatchObject({
      status: 502,
      detail: '<html>Bad gateway</html>',
    });
  });

  it('an AWS error body ({"message"}, as API Gateway\'s default responses send) becomes an ApiProblemError with its message', async () => {
    const message = 'The security token included in the request is invalid.';
    const { fetch } = fakeFetch({ status: 403, headers: { 'content-type': 'application/json' }, body: { message } });
    expect(await rejection(admin(fetch).getKey('acme', KEY_ID))).toMatchObject({ status: 403, detail: message });
  });
});

describe('ApiKeyServiceClient: retries', () => {
  it('waits out Retry-After on a 503, then retries, signing again', async () => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const { fetch, calls } = fakeFetch(RECORDED.unavailable, ok(API_KEY));
    const result = admin(fetch).getKey('acme', KEY_ID);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toMatchObject({ id: KEY_ID });
    expect(calls[1].headers['x-amz-date']).toBe('20300101T000002Z');
  });

  it('retries a 429 as its Retry-After says, and gives up after maxRetries with the last problem', async () => {
    jest.useFakeTimers();
    const { fetch, calls } = fakeFetch(RECORDED.throttled, RECORDED.throttled, RECORDED.throttled);
    const result = rejection(admin(fetch, { maxRetries: 2 }).listKeys('acme'));
    await jest.advanceTimersByTimeAsync(2_000);
    expect(await result).toMatchObject({ status: 429, retryAfterSeconds: 1 });
    expect(calls).toHaveLength(3);
  });

  it('hands back a Retry-After longer than maxRetryDelayMs at once', async () => {
    const { fetch, calls } = fakeFetch(RECORDED.quotaExceeded);
    expect(await rejection(admin(fetch).listKeys('acme'))).toMatchObject({ status: 429, retryAfterSeconds: 60 });
    expect(calls).toHaveLength(1);
  });

  it('backs off without Retry-After, within 200 ms before the first retry', async () => {
    jest.useFakeTimers();
    const { fetch, calls } = fakeFetch({ status: 503, headers: PROBLEM_HEADERS, body: RECORDED.unavailable.body }, ok(API_KEY));
    const result = admin(fetch).getKey('acme', KEY_ID);
    await jest.advanceTimersByTimeAsync(200);
    await expect(result).resolves.toMatchObject({ id: KEY_ID });
    expect(calls).toHaveLength(2);
  });

  it('never retries a create or rotate without an idempotency key', async () => {
    const { fetch, calls } = fakeFetch(RECORDED.unavailable, RECORDED.unavailable);
    const client = admin(fetch);
    expect(await rejection(client.createKey('acme', { name: 'CI' }))).toMatchObject({ status: 503 });
    expect(await rejection(client.rotateKey('acme', KEY_ID))).toMatchObject({ status: 503 });
    expect(calls).toHaveLength(2);
    expect(calls[0].headers).not.toHaveProperty('idempotency-key');
  });

  it('retries a create with an idempotency key, sending it each time; a replay carries no secret', async () => {
    jest.useFakeTimers();
    const replayed = { ...API_KEY };
    const { fetch, calls } = fakeFetch(RECORDED.unavailable, ok(replayed, 200, { 'idempotent-replayed': 'true' }));
    const result = admin(fetch).createKey('acme', { name: 'CI' }, { idempotencyKey: 'order-7' });
    await jest.advanceTimersByTimeAsync(2_000);
    const key = await result;
    expect(key.key).toBeUndefined();
    expect(calls.map(({ headers }) => headers['idempotency-key'])).toEqual(['order-7', 'order-7']);
  });

  it('retries a request that failed on the network, when it is safe to', async () => {
    jest.useFakeTimers();
    const { fetch, calls } = fakeFetch(ok(API_KEY));
    const flaky = jest.fn().mockRejectedValueOnce(new TypeError('fetch failed')).mockImplementation(fetch);
    const result = admin(flaky as unknown as typeof globalThis.fetch).getKey('acme', KEY_ID);
    await jest.advanceTimersByTimeAsync(200);
    await expect(result).resolves.toMatchObject({ id: KEY_ID });
    expect(calls).toHaveLength(1);
  });

  it('stops waiting between retries when the caller aborts', async () => {
    const { fetch } = fakeFetch(RECORDED.unavailable);
    const controller = new AbortController();
    const result = rejection(admin(fetch).getKey('acme', KEY_ID, { signal: controller.signal }));
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await result).toMatchObject({ name: 'AbortError' });
  });
});

describe('ApiKeyServiceClient: timeouts', () => {
  it('abandons an attempt after timeoutMs with a RequestTimeoutError, and retries what is safe to', async () => {
    const { fetch, calls } = fakeFetch('hang', 'hang');
    const error = await rejection(admin(fetch, { timeoutMs: 20, maxRetries: 1 }).getKey('acme', KEY_ID));
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 20, method: 'GET' });
    expect(calls).toHaveLength(2);
  });

  it('does not retry a create that timed out without an idempotency key: it may have landed', async () => {
    const { fetch, calls } = fakeFetch('hang');
    expect(await rejection(admin(fetch, { timeoutMs: 20 }).createKey('acme', { name: 'CI' }))).toBeInstanceOf(
      RequestTimeoutError,
    );
    expect(calls).toHaveLength(1);
  });
});

describe('SelfServiceClient', () => {
  it('sends the key as x-api-key to the self-service routes and /whoami, and signs nothing', async () => {
    const { fetch, calls } = fakeFetch(
      ok({ ...API_KEY, key: 'ak_z' }, 201),
      ok({ tenantId: 'acme', keyId: KEY_ID, name: 'CI', scopes: [] }),
      RECORDED.forbidden,
    );
    const client = new SelfServiceClient({ endpoint: `${ENDPOINT}/`, apiKey: 'ak_caller', fetch });
    await client.createKey({ name: 'Worker' });
    expect(await client.whoami()).toMatchObject({ tenantId: 'acme' });
    expect(await rejection(client.getKey(KEY_ID))).toMatchObject({ status: 403 });
    expect(calls.map(({ method, url }) => `${method} ${url.slice(ENDPOINT.length)}`)).toEqual([
      'POST /keys',
      'GET /whoami',
      `GET /keys/${KEY_ID}`,
    ]);
    for (const { headers } of calls) {
      expect(headers['x-api-key']).toBe('ak_caller');
      expect(headers).not.toHaveProperty('authorization');
    }
  });
});
