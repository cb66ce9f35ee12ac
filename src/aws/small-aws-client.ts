import { type BinaryLike, createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { Agent, IncomingMessage, ClientRequest as OutgoingRequest } from 'node:http';
import { Agent as HttpsAgent, request as sendHttps } from 'node:https';
import { crc32 } from 'node:zlib';
import { SignatureV4 } from '@smithy/signature-v4';
import { type CallFailure, isRetryable, MAX_ATTEMPTS, RetryQuota, retryDelayMs } from './standard-retries';

/**
 * One small client for a few calls of an AWS API: SigV4 by the SDK's own signer
 * over node:https with keep-alive, and the SDK's standard retry mode. The
 * functions whose cold start has a budget use it instead of the AWS SDK, whose
 * clients are most of what they would otherwise load and run
 * (docs/performance.md): the authorizer and POST /verify for DynamoDB
 * (src/store/small-dynamodb-client.ts), the functions that change keys for the
 * cache flush and its schedules (lambdas/shared/flush-apis.ts).
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

/** An AWS API as the SDK's configuration names it. */
export interface AwsService {
  /** The name SigV4 signs for: `dynamodb`, `apigateway`. */
  signingName: string;
  /** Its part of the endpoint variable the SDK reads: `AWS_ENDPOINT_URL_${endpointId}`. */
  endpointId: string;
  /** The first label of its regional endpoint: `https://${hostPrefix}.${region}.amazonaws.com`. */
  hostPrefix: string;
}

/** How many attempts a call gets, the first included, and how long each may take, from the request to the last byte of its answer. */
export interface CallLimits {
  maxAttempts: number;
  attemptTimeoutMs: number;
}

/** The standard mode's attempts; one attempt within 1 s. */
const DEFAULT_LIMITS: CallLimits = { maxAttempts: MAX_ATTEMPTS, attemptTimeoutMs: 1_000 };
/** The SDK's threshold: a server clock this far from ours means ours is wrong. */
const CLOCK_SKEW_THRESHOLD_MS = 5 * 60 * 1000;

/**
 * The settings the AWS SDK would take from the environment for `service`: the
 * region, the endpoint (AWS_ENDPOINT_URL_{service}, then AWS_ENDPOINT_URL,
 * unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), and the credentials
 * Lambda puts there, the session token included, fixed for the environment's
 * life. No other source of credentials: the SDK's chain of them is what makes
 * its clients large (local mode gives the functions that use this client the
 * credentials its SDK resolved).
 */
export function clientSettingsFromEnvironment(service: AwsService, env: NodeJS.ProcessEnv = process.env): SmallClientSettings {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('Environment variable AWS_REGION is not set');
  const configured =
    env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
      ? undefined
      : (env[`AWS_ENDPOINT_URL_${service.endpointId}`] ?? env.AWS_ENDPOINT_URL);
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const endpoint = new URL(configured ?? `https://${service.hostPrefix}.${region}.${domain}`);
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

/** An HTTP request of an operation, before it is signed: its path already percent-encoded. */
export interface OperationRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** One operation of an AWS API: named as the API names it, its input written as a request and its answer read. */
export interface AwsOperation<I, O> {
  readonly name: string;
  request(input: I): OperationRequest;
  output(body: Buffer): O;
}

/**
 * An operation of an AWS JSON protocol (DynamoDB's 1.0, Parameter Store's 1.1,
 * SQS's 1.0): a POST to `/` naming the operation in `X-Amz-Target`, its input
 * and answer JSON as they are.
 */
export function jsonOperation<I, O>(target: string, version: '1.0' | '1.1'): AwsOperation<I, O> {
  const contentType = `application/x-amz-json-${version}`;
  return {
    name: target.slice(target.lastIndexOf('.') + 1),
    request: (input) => ({
      method: 'POST',
      path: '/',
      headers: { 'content-type': contentType, 'x-amz-target': target },
      body: JSON.stringify(input),
    }),
    output: (body) => JSON.parse(body.toString('utf8')) as O,
  };
}

/** A path segment as the SDK writes a label into a REST path: percent-encoded, `!'()*` included. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * An operation of AWS's REST-JSON protocol (API Gateway, EventBridge Scheduler):
 * its method, and its path and JSON body written from the input; an empty answer reads as `{}`.
 */
export function restJsonOperation<I, O>(
  name: string,
  method: OperationRequest['method'],
  write: (input: I) => { path: string; body?: object },
): AwsOperation<I, O> {
  return {
    name,
    request: (input): OperationRequest => {
      const { path, body } = write(input);
      return body === undefined
        ? { method, path, headers: {}, body: '' }
        : { method, path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    },
    output: (body) => (body.length === 0 ? {} : JSON.parse(body.toString('utf8'))) as O,
  };
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

/** A failed call, with the fields the SDK's errors carry, so callers and the retry mode judge it alike. */
export class AwsCallError extends Error implements CallFailure {
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

/** The error's type as the SDK reads it: the `X-Amzn-ErrorType` header, else the body's `code` or `__type`. */
function failureOf(service: string, answer: Answer): AwsCallError {
  let body: { __type?: string; code?: string; message?: string; Message?: string } = {};
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    // Not JSON (a proxy's page, say): the status and the error-type header say what there is to say.
  }
  const type =
    answer.headers['x-amzn-errortype']?.toString() ??
    body.code ??
    body.__type ??
    (answer.status >= 500 ? 'InternalServerError' : 'UnknownError');
  // `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`, or `NotFoundException:http://…`.
  const name = type.slice(type.lastIndexOf('#') + 1).split(':')[0];
  const failure = new AwsCallError(name, body.message ?? body.Message ?? `${service} answered ${answer.status}`);
  failure.$metadata.httpStatusCode = answer.status;
  const requestId = answer.headers['x-amzn-requestid'];
  if (typeof requestId === 'string') failure.$metadata.requestId = requestId;
  return failure;
}

function networkFailure(error: NodeJS.ErrnoException, request: OutgoingRequest): AwsCallError {
  const failure = new AwsCallError(error.name, error.message, { cause: error });
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

export class SmallAwsClient {
  private readonly signer: SignatureV4;
  private readonly connections: Promise<Connections>;
  private readonly quota = new RetryQuota();
  /** Server time minus ours, corrected from the `Date` of answers when ours is off by 5 minutes or more. */
  private clockOffsetMs = 0;

  constructor(
    private readonly service: string,
    private readonly settings: SmallClientSettings,
    private readonly limits: CallLimits = DEFAULT_LIMITS,
  ) {
    this.signer = new SignatureV4({
      service,
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

  /**
   * One call, retried as the SDK's standard mode retries it: the limits'
   * attempts, throttling and transient faults after a jittered exponential
   * back-off, while the retry quota lasts. A reset of a reused keep-alive
   * connection (its server closed it while the function was frozen) is
   * retried once at once and counts as no attempt: the request never reached AWS.
   */
  async send<I, O>(operation: AwsOperation<I, O>, input: I, signal?: AbortSignal): Promise<O> {
    const request = operation.request(input);
    let attempts = 0;
    let retriedStaleConnection = false;
    let taken: number | undefined;
    for (;;) {
      try {
        const body = await this.attempt(request, signal);
        this.quota.release(taken);
        return operation.output(body);
      } catch (error) {
        if (!(error instanceof AwsCallError) || signal?.aborted) throw error;
        if (error.staleConnection && !retriedStaleConnection) {
          retriedStaleConnection = true;
          continue;
        }
        attempts++;
        if (attempts >= this.limits.maxAttempts || !isRetryable(error)) throw error;
        taken = this.quota.take(error);
        if (taken === undefined) throw error;
        await pause(retryDelayMs(error, attempts), signal);
      }
    }
  }

  /** Closes the connections kept alive; a later call opens new ones. */
  async destroy(): Promise<void> {
    (await this.connections).agent.destroy();
  }

  private async attempt(request: OperationRequest, signal?: AbortSignal): Promise<Buffer> {
    const { endpoint } = this.settings;
    const path = `${endpoint.pathname.replace(/\/$/, '')}${request.path}`;
    const signed = await this.signer.sign(
      {
        method: request.method,
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port === '' ? undefined : Number(endpoint.port),
        path,
        query: {},
        headers: { ...request.headers, host: endpoint.host, 'content-length': String(Buffer.byteLength(request.body)) },
        body: request.body,
      },
      { signingDate: new Date(Date.now() + this.clockOffsetMs) },
    );
    const answer = await this.exchange(await this.connections, request.method, path, signed.headers, request.body, signal);
    const clockCorrected = this.correctClock(answer);
    if (answer.status < 200 || answer.status > 299) {
      const failure = failureOf(this.service, answer);
      // Signed with a clock that was off: retried with the corrected one.
      if (clockCorrected) failure.$metadata.clockSkewCorrected = true;
      throw failure;
    }
    // DynamoDB sends a checksum of each answer; a corrupted one is retried.
    const expected = answer.headers['x-amz-crc32'];
    if (expected !== undefined && crc32(answer.body) !== Number(expected)) {
      const corrupted = new AwsCallError('CRC32CheckFailed', 'The answer does not match its x-amz-crc32.');
      corrupted.$retryable = {};
      throw corrupted;
    }
    return answer.body;
  }

  /** Sends the request and reads its whole answer, within one attempt's time. */
  private exchange(
    connections: Connections,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<Answer> {
    const { endpoint } = this.settings;
    const timeoutMs = this.limits.attemptTimeoutMs;
    return new Promise((resolve, reject) => {
      const request = connections.send({
        hostname: endpoint.hostname,
        port: endpoint.port,
        path,
        method,
        headers,
        agent: connections.agent,
        signal,
      });
      let timedOut: AwsCallError | undefined;
      const timer = setTimeout(() => {
        timedOut = new AwsCallError('TimeoutError', `No answer within ${timeoutMs} ms`);
        request.destroy(timedOut);
      }, timeoutMs);
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
