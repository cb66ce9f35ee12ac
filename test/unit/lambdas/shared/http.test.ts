import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  callerOf,
  header,
  httpHandler,
  json,
  keyIdOf,
  noContent,
  readJsonBody,
  requestPath,
  tenantOf,
} from '../../../../lambdas/shared/http';
import {
  ConcurrentChangeError,
  EscalationError,
  KeyNotFoundError,
  StoreConflictError,
  StoreUnavailableError,
  ValidationError,
} from '../../../../src/domain/errors';
import { ROUTES } from '../../../../src/routes';
import { type CapturedOutput, captureOutput } from '../../../fixtures/capture-output';
import { adminEvent, consoleEvent, fillPath, selfServiceEvent } from '../../../fixtures/events';
import { expectProblem, headerOf } from '../../../fixtures/responses';

/** What a handler answers when its route throws this. */
const errorResponse = (error: unknown) =>
  httpHandler(async () => {
    throw error;
  })(adminEvent({ method: 'GET', resource: '/whoami' })) as Promise<APIGatewayProxyResult>;
const MAX_BODY_BYTES = 10 * 1024;

let output: CapturedOutput;
beforeEach(() => (output = captureOutput()));
afterEach(() => output.restore());

const post = (body: unknown, headers?: Record<string, string>, isBase64Encoded?: boolean) =>
  adminEvent({
    method: 'POST',
    resource: '/tenants/{tenantId}/keys',
    pathParameters: { tenantId: 'acme' },
    body,
    headers,
    isBase64Encoded,
  });

describe('responses', () => {
  it('every response carries Cache-Control: no-store', async () => {
    for (const result of [json(200, {}), noContent(), await errorResponse(new KeyNotFoundError())]) {
      expect(headerOf(result, 'Cache-Control')).toBe('no-store');
    }
    expect(json(201, { a: 1 }, { Location: '/x' }).headers).toMatchObject({ Location: '/x', 'Content-Type': 'application/json' });
    expect(noContent()).toMatchObject({ statusCode: 204, body: '' });
  });
});

describe('header', () => {
  it('is case-insensitive', () => {
    const event = post({ a: 1 }, { 'X-Custom-Header': 'v' });
    expect(header(event, 'x-custom-header')).toBe('v');
    expect(header(event, 'CONTENT-TYPE')).toBe('application/json');
    expect(header(event, 'missing')).toBeUndefined();
    expect(header({ headers: null as never, multiValueHeaders: null as never }, 'a')).toBeUndefined();
  });

  it('refuses a header sent twice with different values, in any casing, naming it; the same value twice is one', () => {
    const twice = (values: Record<string, string[]>) => {
      const event = post({ a: 1 });
      for (const [name, list] of Object.entries(values)) {
        event.headers[name] = list.at(-1) as string; // API Gateway keeps the last
        event.multiValueHeaders[name] = list;
      }
      return event;
    };
    for (const event of [
      twice({ 'Idempotency-Key': ['first', 'second'] }),
      twice({ 'Idempotency-Key': ['first'], 'idempotency-key': ['second'] }),
    ]) {
      expect(() => header(event, 'idempotency-key')).toThrow(ValidationError);
      try {
        header(event, 'idempotency-key');
      } catch (error) {
        expect((error as ValidationError).errors).toEqual([
          { path: 'Idempotency-Key', message: expect.stringContaining('once') },
        ]);
      }
    }
    expect(header(twice({ 'Idempotency-Key': ['same', 'same'] }), 'idempotency-key')).toBe('same');
  });
});

describe('readJsonBody', () => {
  it('parses JSON, plain or base64', () => {
    expect(readJsonBody(post({ name: 'n' }))).toEqual({ name: 'n' });
    expect(readJsonBody(post(Buffer.from('{"name":"ü"}').toString('base64'), undefined, true))).toEqual({ name: 'ü' });
  });

  it('reads an absent or empty body as the fallback', () => {
    expect(readJsonBody(post(undefined))).toBeUndefined();
    expect(readJsonBody(post(undefined), {})).toEqual({});
    expect(readJsonBody(post(''), {})).toEqual({});
  });

  it('413 over 10 KiB, measured in decoded bytes', () => {
    expect(MAX_BODY_BYTES).toBe(10240);
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
    expect(() => readJsonBody(post(big))).toThrow(expect.objectContaining({ status: 413 }));
    expect(() => readJsonBody(post(Buffer.from(big).toString('base64'), undefined, true))).toThrow(
      expect.objectContaining({ status: 413 }),
    );
  });

  it('415 unless the media type is application/json', () => {
    for (const type of [
      'application/json',
      'APPLICATION/JSON',
      'application/json;charset=UTF-8',
      'application/json ; charset=utf-8',
    ]) {
      expect(readJsonBody(post('{}', { 'Content-Type': type }))).toEqual({});
    }
    for (const type of [
      'text/plain',
      'text/json',
      'application/xml',
      'application/jsonp',
      'application/merge-patch+json',
      'application/problem+json',
      '',
    ]) {
      expect(() => readJsonBody(post('{}', { 'Content-Type': type }))).toThrow(expect.objectContaining({ status: 415 }));
    }
  });

  it('400 for malformed JSON', () => {
    expect(() => readJsonBody(post('{"a":'))).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('errorResponse', () => {
  it('maps each failure to one status', async () => {
    expectProblem(await errorResponse(new ValidationError([{ path: 'name', message: 'bad' }])), 400, { errors: true });
    const wrongType = await httpHandler(async (event) => json(200, readJsonBody(event)))(
      post('{}', { 'Content-Type': 'text/plain' }),
    );
    expectProblem(wrongType, 415, { errors: false });
    expectProblem(await errorResponse(new EscalationError([{ path: 'scopes.0', message: 'no' }], 'Not yours to give.')), 403, {
      errors: true,
    });
    expectProblem(await errorResponse(new KeyNotFoundError()), 404, { errors: false });
    expectProblem(await errorResponse(new ConcurrentChangeError()), 409, { errors: false });
    const unavailable = await errorResponse(new StoreUnavailableError(3, true, { cause: new Error('x') }));
    expectProblem(unavailable, 503);
    expect(headerOf(unavailable, 'Retry-After')).toBe('3');
    expectProblem(await errorResponse(new StoreUnavailableError(1, false)), 503);
    const conflict = await errorResponse(new StoreConflictError('conflict detail'));
    expectProblem(conflict, 503);
    expect(headerOf(conflict, 'Retry-After')).toBe('1');
    expect(conflict.body).not.toContain('conflict detail');
  });

  it('logs a transient store failure as a warning and any other as an error, by kind only', async () => {
    await errorResponse(
      new StoreUnavailableError(1, true, {
        cause: Object.assign(new Error('rate exceeded for arn:secret'), { name: 'ThrottlingException' }),
      }),
    );
    await errorResponse(
      new StoreUnavailableError(1, false, {
        cause: Object.assign(new Error('no table arn:secret'), { name: 'ResourceNotFoundException' }),
      }),
    );
    const lines = output.lines();
    expect(lines).toEqual([
      expect.objectContaining({ level: 'WARN', error: 'ThrottlingException' }),
      expect.objectContaining({ level: 'ERROR', error: 'ResourceNotFoundException' }),
    ]);
    expect(output.text()).not.toContain('arn:secret');
  });

  it('hides anything unexpected behind a generic 500, logging its kind and stack but not its message', async () => {
    for (const error of [new Error('secret: table arn'), 'a string', undefined]) {
      const result = await errorResponse(error);
      const problem = expectProblem(result, 500, { errors: false });
      expect(problem.detail).toBe('The request failed.');
      expect(result.body).not.toMatch(/secret|conflict detail|a string/);
    }
    expect(output.text()).toContain('Unhandled error');
    expect(output.text()).toContain('http.test.ts');
    expect(output.text()).not.toContain('secret');
  });

  it('httpHandler turns thrown errors into problems', async () => {
    const wrapped = httpHandler(async () => {
      throw new KeyNotFoundError();
    });
    expectProblem(await wrapped(post(undefined)), 404);
  });
});

describe('query parameters', () => {
  const SAMPLE_PATH_PARAMETERS = { tenantId: 'acme', keyId: 'key_01JD5Z0000000000000000000A', file: 'favicon.svg' };
  /** A request on `route` with this query, to a handler that answers 200 when it runs. */
  const send = (route: (typeof ROUTES)[number], query: Record<string, string>) => {
    const pathParameters = Object.fromEntries(
      Object.entries(SAMPLE_PATH_PARAMETERS).filter(([name]) => route.path.includes(`{${name}}`)),
    );
    expect(fillPath(route.path, pathParameters)).not.toContain('{');
    return httpHandler(async () => json(200, {}))(
      adminEvent({ method: route.method, resource: route.path, pathParameters, query }),
    );
  };

  it.each(ROUTES.filter((route) => route.handler !== 'consolePage').map((route) => [`${route.method} ${route.path}`, route]))(
    '%s: 400 naming a parameter its route does not take, before the route runs',
    async (_, route) => {
      const refused = await send(route, { colour: 'red' });
      expectProblem(refused, 400);
      expect(JSON.parse(refused.body).errors).toEqual([{ path: 'query', message: expect.stringContaining('colour') }]);
    },
  );

  it('runs the route with the parameters it takes, and with none', async () => {
    const list = ROUTES.find((route) => route.handler === 'listKeys' && route.authorization === 'iam');
    const usage = ROUTES.find((route) => route.handler === 'getUsage' && route.authorization === 'iam');
    const audit = ROUTES.find((route) => route.handler === 'listAudit' && route.authorization === 'iam');
    expect((await send(list!, { limit: '5', cursor: 'abc' })).statusCode).toBe(200);
    expect((await send(usage!, { from: '2030-01-01', to: '2030-01-02' })).statusCode).toBe(200);
    expect((await send(audit!, { keyId: SAMPLE_PATH_PARAMETERS.keyId })).statusCode).toBe(200);
    for (const route of ROUTES) expect((await send(route, {})).statusCode).toBe(200);
  });

  it("lets any through to the console's page and files, where the identity provider's answer arrives", async () => {
    for (const route of ROUTES.filter((candidate) => candidate.handler === 'consolePage')) {
      expect((await send(route, { code: 'c', state: 's', iss: 'https://id.example', utm_source: 'mail' })).statusCode).toBe(200);
    }
  });
});

describe('request context', () => {
  const self = selfServiceEvent({
    method: 'GET',
    resource: '/keys/{keyId}',
    pathParameters: { keyId: 'key_1' },
    authorizer: { tenantId: 'acme', keyId: 'key_2', keyName: 'n', scopes: 'keys:manage orders:read' },
  });

  it('tenantOf: the path on admin routes, the authorizer context on self-service routes', () => {
    expect(tenantOf(post(undefined))).toBe('acme');
    expect(tenantOf(self)).toBe('acme');
    const orphan = { ...self, requestContext: { ...self.requestContext, authorizer: undefined } };
    expect(() => tenantOf(orphan)).toThrow();
  });

  it('callerOf: the IAM principal on admin routes, the key’s scopes on self-service routes, each with its request', () => {
    const admin = post(undefined);
    expect(callerOf(admin)).toEqual({
      kind: 'iam',
      arn: admin.requestContext.identity.userArn,
      origin: { requestId: admin.requestContext.requestId, sourceIp: admin.requestContext.identity.sourceIp },
    });
    const unsigned = {
      ...admin,
      requestContext: { ...admin.requestContext, identity: { ...admin.requestContext.identity, userArn: null } },
    };
    expect(() => callerOf(unsigned)).toThrow('names no IAM principal');
    const origin = { requestId: self.requestContext.requestId, sourceIp: self.requestContext.identity.sourceIp };
    expect(callerOf(self)).toEqual({
      kind: 'key',
      keyId: self.requestContext.authorizer?.keyId,
      keyName: self.requestContext.authorizer?.keyName,
      scopes: ['keys:manage', 'orders:read'],
      origin,
    });
    expect(
      callerOf({
        ...self,
        requestContext: { ...self.requestContext, authorizer: { tenantId: 'acme', keyId: 'key_3', keyName: 'k3', scopes: '' } },
      }),
    ).toEqual({ kind: 'key', keyId: 'key_3', keyName: 'k3', scopes: [], origin });
    expect(() =>
      callerOf({ ...self, requestContext: { ...self.requestContext, authorizer: { tenantId: 'acme', scopes: '' } } }),
    ).toThrow('names no key');
  });

  it('callerOf: on console routes, the signed-in user and the scopes console users may grant', () => {
    const user = consoleEvent({
      method: 'POST',
      resource: '/console/api/keys',
      body: { name: 'n' },
      authorizer: { tenantId: 'acme', sub: 'u-1', email: 'a@acme.example', scopes: 'orders:read orders:write' },
    });
    expect(tenantOf(user)).toBe('acme');
    expect(callerOf(user)).toEqual({
      kind: 'user',
      subject: 'u-1',
      email: 'a@acme.example',
      scopes: ['orders:read', 'orders:write'],
      origin: { requestId: user.requestContext.requestId, sourceIp: user.requestContext.identity.sourceIp },
    });
    // A context without a subject is a misconfigured authorizer, never an admin.
    const anonymous = { ...user, requestContext: { ...user.requestContext, authorizer: { tenantId: 'acme', scopes: '' } } };
    expect(() => callerOf(anonymous)).toThrow('names no user');
    // A context with a key id on a console route still names no user: the route decides who vouched.
    const keyed = {
      ...user,
      requestContext: { ...user.requestContext, authorizer: { tenantId: 'acme', keyId: 'key_3', scopes: '' } },
    };
    expect(() => callerOf(keyed)).toThrow('names no user');
    expect(() => callerOf({ ...user, httpMethod: 'GET', resource: '/console/{file}' })).toThrow('takes no self-service caller');
  });

  it('keyIdOf and requestPath', () => {
    expect(keyIdOf(self)).toBe('key_1');
    expect(keyIdOf(post(undefined))).toBe('');
    expect(requestPath(self)).toBe('/v1/keys/key_1');
    expect(requestPath({ ...self, requestContext: { ...self.requestContext, path: '' } })).toBe('/keys/key_1');
  });
});
