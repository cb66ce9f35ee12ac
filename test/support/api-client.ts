import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { expectDocumented } from './openapi-validation';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Sent as X-Amz-Security-Token, and signed. */
  sessionToken?: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is empty. */
  json: any;
}

export interface CallOptions {
  /** An object is sent as JSON; a string is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Aborts the call, e.g. AbortSignal.timeout(ms) for a client that stops waiting. */
  signal?: AbortSignal;
}

function encodeBody(options: CallOptions): { body?: string; headers: Record<string, string> } {
  if (options.body === undefined) return { headers: { ...options.headers } };
  if (typeof options.body === 'string') return { body: options.body, headers: { ...options.headers } };
  return { body: JSON.stringify(options.body), headers: { 'content-type': 'application/json', ...options.headers } };
}

/** Reads the response, which must be one the OpenAPI document describes. */
async function toApiResponse(method: string, url: URL, response: Response): Promise<ApiResponse> {
  const text = await response.text();
  expectDocumented(method, url, { status: response.status, header: (name) => response.headers.get(name), text });
  return { status: response.status, headers: response.headers, text, json: text === '' ? undefined : JSON.parse(text) };
}

/** A call signed with SigV4 the way an AWS SDK client signs it. */
export async function signedCall(
  baseUrl: string,
  credentials: Credentials,
  method: string,
  path: string,
  options: CallOptions & { region?: string; signingDate?: Date } = {},
): Promise<ApiResponse> {
  const url = new URL(path, baseUrl);
  const { body, headers } = encodeBody(options);
  const signer = new SignatureV4({ credentials, region: options.region ?? 'us-east-1', service: 'execute-api', sha256: Sha256 });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, ...headers },
      body,
    }),
    { signingDate: options.signingDate },
  );
  const { host: _host, ...sent } = signed.headers; // fetch sets Host itself, to the same value
  return toApiResponse(method, url, await fetch(url, { method, headers: sent, body, signal: options.signal }));
}

/** A call with no signature, optionally with an x-api-key. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions & { apiKey?: string } = {},
): Promise<ApiResponse> {
  const { body, headers } = encodeBody(options);
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  const url = new URL(path, baseUrl);
  return toApiResponse(method, url, await fetch(url, { method, headers, body, signal: options.signal }));
}
