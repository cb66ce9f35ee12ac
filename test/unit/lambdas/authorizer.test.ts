import '../../fixtures/handler-env';
import '../../fixtures/sdk-key-reads';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayAuthorizerResult, Context } from 'aws-lambda';
import { handler } from '../../../lambdas/authorizer';
import { compileMethods, encodeMethods } from '../../../src/protected-methods';
import { awsError, FakeTable, METRICS_NAMESPACE, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { countIn, type EmfDistribution, emfLines, emfProblems } from '../../fixtures/emf';
import { ACCOUNT_ID, API_ID, authorizerEvent, REGION, STAGE } from '../../fixtures/events';
import { keyRecord, sha256Hex, testKey } from '../../fixtures/keys';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;

const STAGE_ARN = `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${STAGE}`;

const managerKey = testKey();
const manager = keyRecord({ key: managerKey, tenantId: 'acme', name: 'Admin bot', scopes: ['keys:manage', 'orders:read'] });
const readerKey = testKey();
const reader = keyRecord({
  key: readerKey,
  tenantId: 'acme',
  name: 'Reader',
  scopes: ['orders:read'],
  lastUsedAt: new Date().toISOString(),
});
const noScopesKey = testKey();
const noScopes = keyRecord({ key: noScopesKey, tenantId: 'acme', name: 'Bare', scopes: [] });
const disabledKey = testKey();
const expiredKey = testKey();
const unknownKey = testKey();

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [
    manager,
    reader,
    noScopes,
    keyRecord({ key: disabledKey, enabled: false }),
    keyRecord({ key: expiredKey, expiresAt: new Date(Date.now() - 1000).toISOString() }),
  ]);
  output = captureOutput();
});
afterEach(() => output.restore());

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

const resources = (result: APIGatewayAuthorizerResult, effect = 'Allow') =>
  result.policyDocument.Statement.filter((s) => s.Effect === effect)
    .flatMap((s) => (s as { Resource: string[] }).Resource)
    .sort();

describe('a valid key', () => {
  it('is read from the header case-insensitively', async () => {
    for (const headerName of ['X-API-Key', 'x-api-key', 'X-Api-Key', 'X-API-KEY']) {
      const result = await handler(authorizerEvent({ apiKey: managerKey, headerName }));
      expect(result.principalId).toBe(manager.keyId);
    }
  });

  it('costs exactly one consistent GetCommand by hash', async () => {
    await handler(authorizerEvent({ apiKey: readerKey }));
    expect(aws.ddb).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(aws.ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'api-keys-test',
      Key: { keyHash: sha256Hex(readerKey) },
      ConsistentRead: true,
    });
    expect(aws.ddb.calls()).toHaveLength(1); // lastUsedAt is fresh, so no write either
  });

  it('yields principalId = keyId and a context of flat strings', async () => {
    const result = await handler(authorizerEvent({ apiKey: managerKey }));
    expect(result.principalId).toBe(manager.keyId);
    expect(result.context).toEqual({
      tenantId: 'acme',
      keyId: manager.keyId,
      keyName: 'Admin bot',
      scopes: 'keys:manage orders:read',
      expiresAt: '',
    });
    for (const value of Object.values(result.context!)) expect(typeof value).toBe('string');
    expect(JSON.stringify(result)).not.toContain(managerKey);
  });

  it('with no scopes, has an empty scopes string', async () => {
    const result = await handler(authorizerEvent({ apiKey: noScopesKey }));
    expect(result.context!.scopes).toBe('');
  });

  it('with keys:manage: allows the whole stage, since it may call every method of it', async () => {
    const result = await handler(
      authorizerEvent({
        apiKey: managerKey,
        method: 'DELETE',
        resource: '/keys/{keyId}',
        pathParameters: { keyId: manager.keyId },
      }),
    );
    expect(result.policyDocument.Version).toBe('2012-10-17');
    for (const statement of result.policyDocument.Statement) {
      expect(statement).toMatchObject({ Effect: 'Allow', Action: 'execute-api:Invoke' });
    }
    expect(resources(result)).toEqual([`${STAGE_ARN}/*`]);
  });

  it('without keys:manage: allows only /whoami and /usage, whichever route was called', async () => {
    for (const call of [{}, { method: 'GET' as const, resource: '/keys' }]) {
      const result = await handler(authorizerEvent({ apiKey: readerKey, ...call }));
      expect(resources(result)).toEqual([`${STAGE_ARN}/GET/usage`, `${STAGE_ARN}/GET/whoami`]);
    }
  });

  it('builds resources from the methodArn’s account, API and stage', async () => {
    const result = await handler(authorizerEvent({ apiKey: readerKey, stage: 'prod' }));
    expect(resources(result)).toEqual([
      `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:abc123/prod/GET/usage`,
      `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:abc123/prod/GET/whoami`,
    ]);
  });

  it('on another API, builds the policy from that stage’s own declarations, in its stage variables', async () => {
    const orders = encodeMethods(
      compileMethods([
        { method: 'GET', path: '/orders/{id}', scope: 'orders:read' },
        { method: 'POST', path: '/orders', scope: 'orders:write' },
      ]),
    );
    const result = await handler(
      authorizerEvent({
        apiKey: readerKey,
        apiId: 'other1',
        method: 'GET',
        resource: '/orders/{id}',
        pathParameters: { id: '42' },
        stageVariables: orders,
      }),
    );
    expect(resources(result)).toEqual([`arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:other1/v1/GET/orders/*`]);
    expect(result.context).toMatchObject({ scopes: 'orders:read', tenantId: 'acme' });
  });

  it('fails, as a misconfiguration (503), on a stage without declarations, after a valid key', async () => {
    await expect(handler(authorizerEvent({ apiKey: readerKey, stageVariables: null }))).rejects.toThrow(
      'The stage declares no protected methods',
    );
    await expect(handler(authorizerEvent({ apiKey: readerKey, stageVariables: { apiKeyMethods0: 'damaged' } }))).rejects.toThrow(
      'The stage declares no protected methods',
    );
    expect(output.text()).toContain('no protected-method declarations');
  });

  it('passes the key’s metadata as flat meta.{name} context values', async () => {
    const taggedKey = testKey();
    table.put({ ...keyRecord({ key: taggedKey, tenantId: 'acme', scopes: [], meta: { plan: 'gold', region: 'eu' } }) });
    const result = await handler(authorizerEvent({ apiKey: taggedKey }));
    expect(result.context).toMatchObject({ 'meta.plan': 'gold', 'meta.region': 'eu', tenantId: 'acme' });
  });
});

describe('rejection', () => {
  const badChecksum = managerKey.slice(0, -1) + (managerKey.endsWith('A') ? 'B' : 'A');
  const malformed: [string, string][] = [
    ['empty', ''],
    ['garbage', 'hello'],
    ['a bad checksum', badChecksum],
    ['a truncated key', managerKey.slice(0, -1)],
    ['a key with a bad prefix', `AK${managerKey.slice(2)}`],
    ['a bearer token', `Bearer ${managerKey}`],
    ['a key with whitespace', ` ${managerKey}`],
  ];

  it.each(malformed)('%s: Unauthorized with no DynamoDB call', async (_, key) => {
    const error = await failure(handler(authorizerEvent({ apiKey: key })));
    expect(error.message).toBe('Unauthorized');
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it('no header (or no headers at all): Unauthorized with no DynamoDB call', async () => {
    expect((await failure(handler(authorizerEvent()))).message).toBe('Unauthorized');
    const noHeaders = authorizerEvent();
    noHeaders.headers = null;
    expect((await failure(handler(noHeaders))).message).toBe('Unauthorized');
    // The key in another header does not count.
    expect((await failure(handler(authorizerEvent({ apiKey: managerKey, headerName: 'Authorization' })))).message).toBe(
      'Unauthorized',
    );
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it('is identical for missing, unknown, disabled and expired keys', async () => {
    const errors = [
      await failure(handler(authorizerEvent())),
      await failure(handler(authorizerEvent({ apiKey: unknownKey }))),
      await failure(handler(authorizerEvent({ apiKey: disabledKey }))),
      await failure(handler(authorizerEvent({ apiKey: expiredKey }))),
      await failure(handler(authorizerEvent({ apiKey: badChecksum }))),
    ];
    for (const error of errors) {
      expect({ name: error.name, message: error.message, keys: Object.keys(error) }).toEqual({
        name: 'Error',
        message: 'Unauthorized',
        keys: [],
      });
    }
    expect(aws.ddb).toHaveReceivedCommandTimes(GetCommand, 3);
    expect(aws.ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('checks expiry itself (TTL deletion is lazy), to the millisecond', async () => {
    const soonKey = testKey();
    table.put(keyRecord({ key: soonKey, expiresAt: new Date(Date.now() + 60_000).toISOString() }) as never);
    await expect(handler(authorizerEvent({ apiKey: soonKey }))).resolves.toBeDefined();
    jest.useFakeTimers({ now: Date.now() + 60_001, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'queueMicrotask'] });
    try {
      expect((await failure(handler(authorizerEvent({ apiKey: soonKey })))).message).toBe('Unauthorized');
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('fails closed', () => {
  it.each([
    ['throttling', awsError('ProvisionedThroughputExceededException', 'Rate exceeded')],
    ['a 500', awsError('InternalServerError', 'Internal server error', 500)],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an unexpected error', awsError('AccessDeniedException', 'not authorized to perform dynamodb:GetItem')],
  ])('on %s: throws something other than Unauthorized, never Allow', async (_, error) => {
    aws.ddb.on(GetCommand).rejects(error);
    const thrown = await failure(handler(authorizerEvent({ apiKey: managerKey })));
    expect(thrown.message).not.toBe('Unauthorized');
    expect(thrown.message).not.toContain('dynamodb');
  });
});

describe('duplicate x-api-key headers', () => {
  it('two different values in any casing are refused without a read, so a cache keyed on either cannot be poisoned', async () => {
    const event = authorizerEvent({ apiKey: managerKey });
    event.headers = { ...event.headers, 'x-api-key': 'junk' };
    expect((await failure(handler(event))).message).toBe('Unauthorized');
    const multi = authorizerEvent({ apiKey: managerKey });
    multi.multiValueHeaders = { ...multi.multiValueHeaders, 'X-API-Key': [managerKey, 'junk'] };
    expect((await failure(handler(multi))).message).toBe('Unauthorized');
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it('the same value repeated is one key', async () => {
    const event = authorizerEvent({ apiKey: managerKey });
    event.headers = { ...event.headers, 'x-api-key': managerKey };
    expect((await handler(event)).principalId).toBe(manager.keyId);
  });
});

describe('lastUsedAt', () => {
  it('is written for any authentication, even for a route the key lacks: the answer is cached for every route', async () => {
    await handler(authorizerEvent({ apiKey: noScopesKey, method: 'GET', resource: '/keys' }));
    expect(aws.ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('is written when absent, with an UpdateCommand touching only keyHash and lastUsedAt', async () => {
    await handler(authorizerEvent({ apiKey: managerKey }));
    expect(aws.ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    const input = aws.ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.Key).toEqual({ keyHash: manager.keyHash });
    expect(new Set(Object.values(input.ExpressionAttributeNames!))).toEqual(new Set(['keyHash', 'lastUsedAt']));
    expect(table.get(manager.keyHash)!.lastUsedAt).toEqual(expect.any(String));
  });

  it('is written when older than 60 s, and not when newer', async () => {
    const staleKey = testKey();
    const freshKey = testKey();
    table.put(keyRecord({ key: staleKey, lastUsedAt: new Date(Date.now() - 61_000).toISOString() }) as never);
    table.put(keyRecord({ key: freshKey, lastUsedAt: new Date(Date.now() - 59_000).toISOString() }) as never);
    await handler(authorizerEvent({ apiKey: freshKey }));
    expect(aws.ddb).not.toHaveReceivedCommand(UpdateCommand);
    await handler(authorizerEvent({ apiKey: staleKey }));
    expect(aws.ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('costs a verification no timer when no write is due: the check comes first, synchronously', async () => {
    const fresh = testKey();
    table.put(keyRecord({ key: fresh, lastUsedAt: new Date().toISOString() }) as never);
    const timeout = jest.spyOn(AbortSignal, 'timeout');
    try {
      await handler(authorizerEvent({ apiKey: fresh }));
      expect(timeout).not.toHaveBeenCalled();
      await handler(authorizerEvent({ apiKey: managerKey }));
      expect(timeout).toHaveBeenCalledTimes(1);
    } finally {
      timeout.mockRestore();
    }
  });

  it('is written at most once a minute across calls', async () => {
    for (let i = 0; i < 5; i++) await handler(authorizerEvent({ apiKey: managerKey }));
    expect(aws.ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(aws.ddb).toHaveReceivedCommandTimes(GetCommand, 5);
  });

  it('a write that hangs is abandoned within its budget of 500 ms, and authorization still succeeds', async () => {
    aws.ddb.on(UpdateCommand).callsFake(() => new Promise(() => {}));
    const started = Date.now();
    const result = await handler(authorizerEvent({ apiKey: managerKey }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(Date.now() - started).toBeLessThan(900);
    expect(result.principalId).toBe(manager.keyId);
  });

  it('gets no more time than the invocation has left, keeping a margin for the reply', async () => {
    aws.ddb.on(UpdateCommand).callsFake(() => new Promise(() => {}));
    const started = Date.now();
    const nearlyOut = { getRemainingTimeInMillis: () => 150 } as Context;
    const result = await handler(authorizerEvent({ apiKey: managerKey }), nearlyOut);
    expect(Date.now() - started).toBeLessThan(100);
    expect(result.principalId).toBe(manager.keyId);
  });

  it('a failure to write it does not fail authorization', async () => {
    for (const error of [awsError('ThrottlingException', 'Rate exceeded'), new Error('boom')]) {
      aws.ddb.on(UpdateCommand).rejects(error);
      const result = await handler(authorizerEvent({ apiKey: managerKey }));
      expect(result.principalId).toBe(manager.keyId);
      expect(result.policyDocument.Statement.length).toBeGreaterThan(0);
    }
  });
});

describe('metrics, counted in memory and published at most once a second (DESIGN §15)', () => {
  // The metrics' clock only (Date.now), moved by hand and never back.
  let now = Date.now();
  let clock: jest.SpyInstance<number, []>;
  beforeEach(async () => {
    // A first call a while after the last line writes what earlier tests left.
    now += 60_000;
    clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    await handler(authorizerEvent()).catch(() => undefined);
    output.restore();
    output = captureOutput();
  });
  afterEach(() => clock.mockRestore());

  const throttledRead = () => {
    aws.ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    return authorizerEvent({ apiKey: managerKey });
  };
  const twoKeys = () => {
    const event = authorizerEvent({ apiKey: managerKey });
    event.headers = { ...event.headers, 'x-api-key': 'junk' };
    return event;
  };
  // [metric, the invocation, whether it read the table]
  const outcomes: [string, () => ReturnType<typeof authorizerEvent>, boolean][] = [
    ['AuthorizerAllowed', () => authorizerEvent({ apiKey: managerKey }), true],
    ['AuthorizerMissing', () => authorizerEvent(), false],
    ['AuthorizerMalformed', () => authorizerEvent({ apiKey: 'hello' }), false],
    ['AuthorizerMalformed', twoKeys, false],
    ['AuthorizerUnknown', () => authorizerEvent({ apiKey: unknownKey }), true],
    ['AuthorizerDisabled', () => authorizerEvent({ apiKey: disabledKey }), true],
    ['AuthorizerExpired', () => authorizerEvent({ apiKey: expiredKey }), true],
  ];

  it.each(outcomes)(
    '%s: counted under its own name, with the lookup latency only if it read the table',
    async (name, event, reads) => {
      now += 1_000;
      await handler(event()).catch(() => undefined);
      const lines = emfLines(output);
      expect(lines).toHaveLength(1);
      expect(emfProblems(lines[0])).toEqual([]);
      const latency = reads ? [{ Name: 'AuthorizerLookupLatency', Unit: 'Milliseconds' }] : [];
      expect(lines[0]._aws.CloudWatchMetrics).toEqual([
        { Namespace: METRICS_NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: name, Unit: 'Count' }, ...latency] },
      ]);
      // Nothing else: no key id, tenant id or key, as a dimension or as a property.
      expect(Object.keys(lines[0]).sort()).toEqual(
        ['_aws', 'service', name, ...(reads ? ['AuthorizerLookupLatency'] : [])].sort(),
      );
      expect(lines[0]).toMatchObject({ service: 'api-key-service', [name]: 1 });
      if (reads) expect((lines[0].AuthorizerLookupLatency as EmfDistribution).Count).toBe(1);
    },
  );

  it('a refusal writes nothing, not even a log line, and returns the one promise rejected at load: nothing to wait on', async () => {
    const refusals = [handler(authorizerEvent({ apiKey: 'hello' })), handler(authorizerEvent()), handler(twoKeys())];
    expect(new Set(refusals).size).toBe(1);
    for (const refusal of refusals) expect((await failure(refusal)).message).toBe('Unauthorized');
    await handler(authorizerEvent({ apiKey: disabledKey })).catch(() => undefined);
    await handler(authorizerEvent({ apiKey: readerKey }));
    expect(output.text()).toBe('');

    now += 1_000;
    await handler(authorizerEvent({ apiKey: readerKey }));
    const [line] = emfLines(output);
    expect(emfProblems(line)).toEqual([]);
    expect({
      malformed: countIn(line, 'AuthorizerMalformed'),
      missing: countIn(line, 'AuthorizerMissing'),
      disabled: countIn(line, 'AuthorizerDisabled'),
      allowed: countIn(line, 'AuthorizerAllowed'),
    }).toEqual({ malformed: 2, missing: 1, disabled: 1, allowed: 2 });
    expect((line.AuthorizerLookupLatency as EmfDistribution).Count).toBe(3);
  });

  it('publishes a store error at once, within the second, and still fails closed', async () => {
    await handler(authorizerEvent({ apiKey: 'hello' })).catch(() => undefined);
    expect((await failure(handler(throttledRead()))).message).toBe('Key lookup failed');
    const lines = emfLines(output);
    expect(lines).toHaveLength(1);
    expect(emfProblems(lines[0])).toEqual([]);
    expect(countIn(lines[0], 'AuthorizerStoreError')).toBe(1);
    expect(countIn(lines[0], 'AuthorizerMalformed')).toBe(1);
    expect(output.lines().some((log) => log.level === 'ERROR' && log.message === 'Key lookup failed; denying')).toBe(true);
  });
});
