import { type BinaryLike, createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { Agent, IncomingMessage, ClientRequest as OutgoingRequest } from 'node:http';
import { Agent as HttpsAgent, request as sendHttps } from 'node:https';
import { crc32 } from 'node:zlib';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import type { GetItemRequest, KeyTableTransport, UpdateItemRequest } from './key-table-reads';
import { type CallFailure, isRetryable, MAX_ATTEMPTS, RetryQuota, retryDelayMs } from './standard-retries';

/**
 * One small DynamoDB client, for the two calls of the key table's read path
 * (GetItem and the lastUsedAt UpdateItem): SigV4 by the SDK's own signer over
 * node:https with keep-alive, and the SDK's standard retry mode. The authorizer
 * and POST /verify use it instead of the AWS SDK, whose DynamoDB client is most
 * of what they would otherwise load and run (docs/performance.md).
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SmallClientSettings {
  endpoint: URL;
  region: string;
  credentials: () => Promise<Credentials>;
}

/** DynamoDB's JSON protocol, version 2012-08-10. */
const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/**
 * One attempt's bound, from the request to the last byte of its answer. Three
 * attempts and the standard mode's back-off stay under the authorizer's 5 s.
 */
const ATTEMPT_TIMEOUT_MS = 1_000;
/** The SDK's threshold: a server clock this far from ours means ours is wrong. */
const CLOCK_SKEW_THRESHOLD_MS = 5 * 60 * 1000;

/**
 * The settings the AWS SDK would take from the environment: the region, the
 * endpoint (AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL, unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), and the credentials Lambda puts
 * there, the session token included, fixed for the environment's life. No other
 * source of credentials: the SDK's chain of them is what makes its client large
 * (local mode gives these functions the credentials its SDK resolved).
 */
export function smallClientSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): SmallClientSettings {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('Environment variable AWS_REGION is not set');
  const configured =
    env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' ? undefined : (env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL);
  const endpoint = new URL(configured ?? `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`);
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: Lambda sets them for every function');
  }
  const credentials: Credentials = sessionToken
    ? { accessKeyId, secretAccessKey, sessionToken }
    : { accessKeyId, secretAccessKey };
  const resolved = Promise.resolve(credentials);
  return { endpoint, region, credentials: () => resolved };
}

/** What the signer hashes: text or bytes. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function binary(data: SourceData): BinaryLike {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** SHA-256 for the signer, from node:crypto (the SDK's default in Node). */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: BinaryLike;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : binary(secret);
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.hash.update(binary(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

/** A failed call, with the fields the SDK's errors carry, so the store and the retry mode judge it alike. */
class DynamoDbCallError extends Error implements CallFailure {
  code?: string;
  $retryable?: { throttling?: boolean };
  $metadata: { httpStatusCode?: number; requestId?: string; clockSkewCorrected?: boolean } = {};
  /** A reset of a keep-alive connection this client had used before: retried at once, on a new one. */
  staleConnection = false;

  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function failureOf(answer: Answer): DynamoDbCallError {
  let type: string | undefined;
  let message = `DynamoDB answered ${answer.status}`;
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as { __type?: string; message?: string; Message?: string };
    type = parsed.__type;
    message = parsed.message ?? parsed.Message ?? message;
  } catch {
    // Not JSON (a proxy's page, say): the status and the error-type header say what there is to say.
  }
  type ??= String(answer.headers['x-amzn-errortype'] ?? (answer.status >= 500 ? 'InternalServerError' : 'UnknownError'));
  // `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`, or `…:http://…` from some endpoints.
  const name = type.slice(type.lastIndexOf('#') + 1).split(':')[0];
  const failure = new DynamoDbCallError(name, message);
  failure.$metadata.httpStatusCode = answer.status;
  const requestId = answer.headers['x-amzn-requestid'];
  if (typeof requestId === 'string') failure.$metadata.requestId = requestId;
  return failure;
}

function networkFailure(error: NodeJS.ErrnoException, request: OutgoingRequest): DynamoDbCallError {
  const failure = new DynamoDbCallError(error.name, error.message, { cause: error });
  failure.code = error.code;
  failure.staleConnection = request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
  return failure;
}

/** Where requests go out: node:https in AWS; node:http for a local endpoint, loaded only for one (importing it costs 80 M instructions). */
interface Connections {
  agent: Agent;
  send: typeof sendHttps;
}

/** Kept alive, so a warm function reuses its connection (and TLS session) for every call. */
const KEEP_ALIVE = { keepAlive: true, maxSockets: 50 } as const;

export class SmallDynamoDbClient implements KeyTableTransport {
  private readonly signer: SignatureV4;
  private readonly connections: Promise<Connections>;
  private readonly quota = new RetryQuota();
  /** Server time minus ours, corrected from the `Date` of answers when ours is off by 5 minutes or more. */
  private clockOffsetMs = 0;

  constructor(private readonly settings: SmallClientSettings) {
    this.signer = new SignatureV4({
      service: 'dynamodb',
      region: settings.region,
      credentials: settings.credentials,
      sha256: NodeSha256,
      applyChecksum: false,
    });
    this.connections =
      settings.endpoint.protocol === 'https:'
        ? Promise.resolve({ agent: new HttpsAgent(KEEP_ALIVE), send: sendHttps })
        : import('node:http').then((http) => ({ agent: new http.Agent(KEEP_ALIVE), send: http.request }));
  }

  async getItem(request: GetItemRequest): Promise<Record<string, unknown> | undefined> {
    const answer = (await this.call('GetItem', { ...request, Key: marshall(request.Key) })) as { Item?: Record<string, never> };
    return answer.Item === undefined ? undefined : unmarshall(answer.Item);
  }

  async updateItem(request: UpdateItemRequest, signal?: AbortSignal): Promise<void> {
    const values = request.ExpressionAttributeValues;
    await this.call(
      'UpdateItem',
      {
        ...request,
        Key: marshall(request.Key),
        ...(values === undefined ? {} : { ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }) }),
      },
      signal,
    );
  }

  /** Closes the connections kept alive; a later call opens new ones. */
  async destroy(): Promise<void> {
    (await this.connections).agent.destroy();
  }

  /**
   * One call, retried as the SDK's standard mode retries it: at most 3
   * attempts, throttling and transient faults after a jittered exponential
   * back-off, while the retry quota lasts. A reset of a reused keep-alive
   * connection (its server closed it while the function was frozen) is
   * retried once at once and counts as no attempt: the request never reached
   * DynamoDB.
   */
  private async call(operation: string, input: object, signal?: AbortSignal): Promise<unknown> {
    const body = JSON.stringify(input);
    let attempts = 0;
    let retriedStaleConnection = false;
    let taken: number | undefined;
    for (;;) {
      try {
        const answer = await this.attempt(operation, body, signal);
        this.quota.release(taken);
        return answer;
      } catch (error) {
        if (!(error instanceof DynamoDbCallError) || signal?.aborted) throw error;
        if (error.staleConnection && !retriedStaleConnection) {
          retriedStaleConnection = true;
          continue;
        }
        attempts++;
        if (attempts >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
        taken = this.quota.take(error);
        if (taken === undefined) throw error;
        await pause(retryDelayMs(error, attempts), signal);
      }
    }
  }

  private async attempt(operation: string, body: string, signal?: AbortSignal): Promise<unknown> {
    const { endpoint } = this.settings;
    const signed = await this.signer.sign(
      {
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port === '' ? undefined : Number(endpoint.port),
        path: endpoint.pathname,
        query: {},
        headers: {
          host: endpoint.host,
          'content-type': CONTENT_TYPE,
          'content-length': String(Buffer.byteLength(body)),
          'x-amz-target': `${TARGET_PREFIX}${operation}`,
        },
        body,
      },
      { signingDate: new Date(Date.now() + this.clockOffsetMs) },
    );
    const answer = await this.exchange(await this.connections, signed.headers, body, signal);
    const clockCorrected = this.correctClock(answer);
    if (answer.status !== 200) {
      const failure = failureOf(answer);
      // Signed with a clock that was off: retried with the corrected one.
      if (clockCorrected) failure.$metadata.clockSkewCorrected = true;
      throw failure;
    }
    const expected = answer.headers['x-amz-crc32'];
    if (expected !== undefined && crc32(answer.body) !== Number(expected)) {
      const corrupted = new DynamoDbCallError('CRC32CheckFailed', 'The answer does not match its x-amz-crc32.');
      corrupted.$retryable = {};
      throw corrupted;
    }
    return JSON.parse(answer.body.toString('utf8'));
  }

  /** Sends the request and reads its whole answer, within one attempt's time. */
  private exchange(
    connections: Connections,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<Answer> {
    const { endpoint } = this.settings;
    return new Promise((resolve, reject) => {
      const request = connections.send({
        hostname: endpoint.hostname,
        port: endpoint.port,
        path: endpoint.pathname,
        method: 'POST',
        headers,
        agent: connections.agent,
        signal,
      });
      let timedOut: DynamoDbCallError | undefined;
      const timer = setTimeout(() => {
        timedOut = new DynamoDbCallError('TimeoutError', `No answer within ${ATTEMPT_TIMEOUT_MS} ms`);
        request.destroy(timedOut);
      }, ATTEMPT_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(timedOut ?? networkFailure(error, request));
      };
      request.once('error', fail);
      request.once('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', fail);
        response.once('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
        });
      });
      request.end(body);
    });
  }

  /** As the SDK does: a server `Date` 5 minutes or more from our corrected clock becomes the new offset. Whether it did. */
  private correctClock(answer: Answer): boolean {
    const date = answer.headers.date;
    if (date === undefined) return false;
    const serverTime = Date.parse(date);
    if (Number.isNaN(serverTime) || Math.abs(Date.now() + this.clockOffsetMs - serverTime) < CLOCK_SKEW_THRESHOLD_MS)
      return false;
    this.clockOffsetMs = serverTime - Date.now();
    return true;
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
