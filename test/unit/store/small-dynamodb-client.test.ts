import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4 } from '../../../local/aws/sigv4';
import { readGatewayRequest } from '../../../local/http/http-request';
import type { Credentials } from '../../../src/aws/small-aws-client';
import { StoreUnavailableError } from '../../../src/domain/errors';
import { KeyTableReads } from '../../../src/store/key-table-reads';
import { SmallDynamoDbClient, smallClientSettingsFromEnvironment } from '../../../src/store/small-dynamodb-client';

const SESSION = { accessKeyId: 'ASIAEXAMPLESESSION00', secretAccessKey: 'session-secret', sessionToken: 'the-session-token' };

describe('smallClientSettingsFromEnvironment: what the AWS SDK would read, and Lambda sets', () => {
  const lambda = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'ASIA1', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' };

  it('DynamoDB’s regional endpoint, and the environment’s credentials with the session token', async () => {
    const settings = smallClientSettingsFromEnvironment(lambda);
    expect(settings.endpoint.href).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(settings.region).toBe('eu-west-1');
    await expect(settings.credentials()).resolves.toEqual({ accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't' });
    expect(smallClientSettingsFromEnvironment({ ...lambda, AWS_REGION: 'cn-north-1' }).endpoint.host).toBe(
      'dynamodb.cn-north-1.amazonaws.com.cn',
    );
  });

  it('AWS_ENDPOINT_URL_DYNAMODB first, then AWS_ENDPOINT_URL, neither with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', () => {
    const both = { ...lambda, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' };
    expect(smallClientSettingsFromEnvironment(both).endpoint.href).toBe('http://127.0.0.1:8000/');
    expect(smallClientSettingsFromEnvironment({ ...lambda, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).endpoint.href).toBe(
      'http://127.0.0.1:4566/',
    );
    expect(smallClientSettingsFromEnvironment({ ...both, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }).endpoint.host).toBe(
      'dynamodb.eu-west-1.amazonaws.com',
    );
  });

  it('fails at once, naming what is missing, without a region or credentials', () => {
    expect(() => smallClientSettingsFromEnvironment({ ...lambda, AWS_REGION: undefined })).toThrow('AWS_REGION');
    expect(() => smallClientSettingsFromEnvironment({ ...lambda, AWS_SECRET_ACCESS_KEY: undefined })).toThrow(
      'AWS_SECRET_ACCESS_KEY',
    );
  });
});

/** A DynamoDB stand-in that checks every request's SigV4 signature as AWS would, then answers as `answer` says. */
async function signatureCheckingEndpoint(
  credentials: Credentials,
  answer: (target: string, body: Record<string, unknown>) => { status: number; body: unknown },
): Promise<{ url: string; received: { target: string; body: Record<string, unknown>; token?: string }[]; server: Server }> {
  const received: { target: string; body: Record<string, unknown>; token?: string }[] = [];
  const server = createServer(async (incoming, outgoing) => {
    const request = await readGatewayRequest(incoming, 1024 * 1024);
    const verdict = await verifySigV4(request, {
      region: 'us-east-1',
      service: 'dynamodb',
      credentialsFor: (accessKeyId) => (accessKeyId === credentials.accessKeyId ? credentials : undefined),
    });
    if (!verdict.valid) {
      outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      outgoing.end(JSON.stringify({ __type: 'com.amazon.coral.service#InvalidSignatureException', message: verdict.failure }));
      return;
    }
    const target = String(incoming.headers['x-amz-target']);
    const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    received.push({ target, body, token: incoming.headers['x-amz-security-token'] as string | undefined });
    const answered = answer(target, body);
    outgoing.writeHead(answered.status, { 'content-type': 'application/x-amz-json-1.0' });
    outgoing.end(typeof answered.body === 'string' ? answered.body : JSON.stringify(answered.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

describe('SmallDynamoDbClient', () => {
  let endpoint: Awaited<ReturnType<typeof signatureCheckingEndpoint>>;
  let client: SmallDynamoDbClient;
  let next: (target: string, body: Record<string, unknown>) => { status: number; body: unknown };

  beforeEach(async () => {
    next = () => ({ status: 200, body: {} });
    endpoint = await signatureCheckingEndpoint(SESSION, (target, body) => next(target, body));
    client = new SmallDynamoDbClient({ endpoint: new URL(endpoint.url), region: 'us-east-1', credentials: async () => SESSION });
  });
  afterEach(async () => {
    await client.destroy();
    endpoint.server.close();
  });

  it('signs with SigV4 as AWS checks it, session token included, and speaks DynamoDB’s JSON protocol', async () => {
    next = () => ({
      status: 200,
      body: {
        Item: { keyHash: { S: 'h' }, scopes: { L: [{ S: 'a' }] }, enabled: { BOOL: true }, ttl: { N: '42' }, meta: { M: {} } },
      },
    });
    const item = await client.getItem({ TableName: 'keys', Key: { keyHash: 'h' }, ConsistentRead: true });
    expect(item).toEqual({ keyHash: 'h', scopes: ['a'], enabled: true, ttl: 42, meta: {} });
    expect(endpoint.received).toEqual([
      {
        target: 'DynamoDB_20120810.GetItem',
        body: { TableName: 'keys', Key: { keyHash: { S: 'h' } }, ConsistentRead: true },
        token: 'the-session-token',
      },
    ]);
  });

  it('reads an absent item as undefined', async () => {
    await expect(client.getItem({ TableName: 'keys', Key: { keyHash: 'h' }, ConsistentRead: true })).resolves.toBeUndefined();
  });

  it('names a failure as DynamoDB names it, so a failed condition of the lastUsedAt write is its answer', async () => {
    next = () => ({
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
      },
    });
    const reads = new KeyTableReads(client, 'keys');
    await expect(reads.recordUse('h', '2030-01-01T00:10:00.000Z', '2030-01-01T00:09:00.000Z')).resolves.toBeUndefined();
    expect(endpoint.received[0].body).toMatchObject({
      Key: { keyHash: { S: 'h' } },
      UpdateExpression: 'SET #lastUsedAt = :usedAt',
      ExpressionAttributeValues: {
        ':usedAt': { S: '2030-01-01T00:10:00.000Z' },
        ':notBefore': { S: '2030-01-01T00:09:00.000Z' },
      },
    });
  });

  it('does not retry what retrying cannot mend: a missing table is one request, and not transient', async () => {
    next = () => ({
      status: 400,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'no table' },
    });
    const failure = await new KeyTableReads(client, 'keys').findByHash('h').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).transient).toBe(false);
    expect(((failure as StoreUnavailableError).cause as Error).name).toBe('ResourceNotFoundException');
    expect(endpoint.received).toHaveLength(1);
  });

  it('reads a failure that is not DynamoDB’s JSON by its status: a 503 page is retried, as transient', async () => {
    next = () => ({ status: 503, body: '<html>Service Unavailable</html>' });
    const failure = await new KeyTableReads(client, 'keys').findByHash('h').catch((error: unknown) => error);
    expect((failure as StoreUnavailableError).transient).toBe(true);
    expect(endpoint.received).toHaveLength(3);
  });

  it('stops, without retrying, when the caller abandons the call', async () => {
    next = () => ({ status: 500, body: { __type: 'InternalServerError', message: 'down' } });
    const controller = new AbortController();
    const call = new KeyTableReads(client, 'keys').recordUse('h', 'a', 'b', controller.signal).catch((error: unknown) => error);
    controller.abort();
    expect(await call).toBeInstanceOf(StoreUnavailableError);
    expect(endpoint.received.length).toBeLessThanOrEqual(1);
  });
});
