import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { GatewayResponseType } from '../../src/problem';
import { parseQuery, type SignedRequest } from '../http/http-request';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Options {
  region: string;
  service: string;
  /** The credentials for an access key id, or undefined when it is not known. */
  credentialsFor(accessKeyId: string): Credentials | undefined | Promise<Credentials | undefined>;
  now?: Date;
}

/** A credentialsFor that knows exactly one access key: the one `source` resolves to now. */
export function onlyCredentials(source: () => Promise<Credentials>): SigV4Options['credentialsFor'] {
  return async (accessKeyId) => {
    const credentials = await source();
    return credentials.accessKeyId === accessKeyId ? credentials : undefined;
  };
}

/**
 * Why a request was refused. `missing`: no Authorization header at all.
 * `malformed`: the header, X-Amz-Date or the signed header list is unusable.
 * `wrongScope`: signed for another region, service or day than X-Amz-Date's.
 * `invalidToken`: X-Amz-Security-Token is not the credentials' session token:
 * any token with long-term credentials, or none or another with temporary ones.
 */
export type SigV4Failure = 'missing' | 'malformed' | 'unknownAccessKey' | 'invalidToken' | 'wrongScope' | 'expired' | 'mismatch';

/**
 * How AWS answers each failure: an API Gateway stage with its gateway response
 * (problem+json here), an AWS service API with its error type and status.
 */
export const SIGV4_FAILURES: Record<
  SigV4Failure,
  { gatewayResponse: GatewayResponseType; awsError: { type: string; status: number } }
> = {
  missing: {
    gatewayResponse: 'MISSING_AUTHENTICATION_TOKEN',
    awsError: { type: 'MissingAuthenticationTokenException', status: 403 },
  },
  malformed: { gatewayResponse: 'INVALID_SIGNATURE', awsError: { type: 'IncompleteSignatureException', status: 400 } },
  unknownAccessKey: { gatewayResponse: 'INVALID_SIGNATURE', awsError: { type: 'UnrecognizedClientException', status: 403 } },
  // AWS: "The security token included in the request is invalid".
  invalidToken: { gatewayResponse: 'INVALID_SIGNATURE', awsError: { type: 'UnrecognizedClientException', status: 403 } },
  wrongScope: { gatewayResponse: 'INVALID_SIGNATURE', awsError: { type: 'InvalidSignatureException', status: 403 } },
  expired: { gatewayResponse: 'EXPIRED_TOKEN', awsError: { type: 'InvalidSignatureException', status: 403 } },
  mismatch: { gatewayResponse: 'INVALID_SIGNATURE', awsError: { type: 'InvalidSignatureException', status: 403 } },
};

export type SigV4Result = { valid: true; accessKeyId: string } | { valid: false; failure: SigV4Failure };

/** AWS refuses signatures dated more than five minutes from its own clock, either way. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Splits `AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const [algorithm, ...rest] = header.trim().split(/\s+/);
  if (algorithm !== ALGORITHM) return undefined;
  const fields = new Map<string, string>();
  for (const part of rest.join(' ').split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) fields.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/') ?? [];
  const signedHeaders = fields.get('SignedHeaders')?.split(';') ?? [];
  const signature = fields.get('Signature') ?? '';
  const [accessKeyId, date, region, service, terminator] = credential;
  if (credential.length !== 5 || terminator !== 'aws4_request' || !accessKeyId) return undefined;
  if (signedHeaders.some((name) => name === '' || name !== name.toLowerCase())) return undefined;
  if (!SIGNATURE_PATTERN.test(signature)) return undefined;
  return { accessKeyId, date, region, service, signedHeaders, signature };
}

function parseAmzDate(value: string | undefined): Date | undefined {
  const parts = value?.match(AMZ_DATE_PATTERN);
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** The query as the signer wants it: decoded names and values, repeated names as arrays. */
function signingQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of parseQuery(rawQuery)) {
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

const TOKEN_HEADER = 'x-amz-security-token';
const TOKEN_QUERY_PARAMETER = 'X-Amz-Security-Token';
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether the request carries exactly the credentials' session token, or none
 * when they have none. A token counts wherever it is, signed or not: the signer
 * only covers what the client chose to sign.
 */
function carriesTheirToken(request: Omit<SignedRequest, 'body'>, credentials: Credentials): boolean {
  const sent = [
    ...(request.headers[TOKEN_HEADER] ?? []),
    ...parseQuery(request.rawQuery)
      .filter(([name]) => name === TOKEN_QUERY_PARAMETER)
      .map(([, value]) => value),
  ];
  if (credentials.sessionToken === undefined) return sent.length === 0;
  return sent.length === 1 && timingSafeEqual(digest(sent[0]), digest(credentials.sessionToken));
}

type HeaderVerdict =
  | { valid: true; parsed: ParsedAuthorization; signingDate: Date; credentials: Credentials }
  | { valid: false; failure: SigV4Failure };

/** Every check that needs no body, in the order AWS makes them. */
async function checkHeaders(request: Omit<SignedRequest, 'body'>, options: SigV4Options): Promise<HeaderVerdict> {
  const authorization = request.headers.authorization?.[0];
  if (authorization === undefined) return { valid: false, failure: 'missing' };
  const parsed = parseAuthorization(authorization);
  // Sent twice, AWS reads X-Amz-Date as both values joined, which is no date; the re-signing
  // below takes the one it is given, so a second, unsigned one would go unnoticed.
  const amzDates = request.headers['x-amz-date'] ?? [];
  const amzDate = amzDates.length === 1 ? amzDates[0] : undefined;
  const signingDate = parseAmzDate(amzDate);
  if (!parsed || !signingDate || !parsed.signedHeaders.includes('host')) return { valid: false, failure: 'malformed' };
  if (parsed.signedHeaders.some((name) => request.headers[name] === undefined)) return { valid: false, failure: 'malformed' };
  const scopeMatches =
    parsed.region === options.region && parsed.service === options.service && parsed.date === amzDate?.slice(0, 8);
  if (!scopeMatches) return { valid: false, failure: 'wrongScope' };

  const now = options.now ?? new Date();
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) return { valid: false, failure: 'expired' };

  const credentials = await options.credentialsFor(parsed.accessKeyId);
  if (!credentials) return { valid: false, failure: 'unknownAccessKey' };
  if (!carriesTheirToken(request, credentials)) return { valid: false, failure: 'invalidToken' };
  return { valid: true, parsed, signingDate, credentials };
}

/**
 * The part of verifySigV4 that needs no body: the Authorization header, the
 * credential scope, the clock, the access key and its session token. `valid` only means that
 * nothing is wrong so far; the signature itself is not checked.
 */
export async function precheckSigV4(request: Omit<SignedRequest, 'body'>, options: SigV4Options): Promise<SigV4Result> {
  const verdict = await checkHeaders(request, options);
  return verdict.valid ? { valid: true, accessKeyId: verdict.parsed.accessKeyId } : verdict;
}

/**
 * Verifies an AWS Signature Version 4 Authorization header the way AWS does:
 * re-signs the request as received (method, path, query, the signed headers
 * only, body hash) with the client's signing date and compares signatures in
 * constant time.
 */
export async function verifySigV4(request: SignedRequest, options: SigV4Options): Promise<SigV4Result> {
  const verdict = await checkHeaders(request, options);
  if (!verdict.valid) return verdict;
  const { parsed, signingDate, credentials } = verdict;

  // The signer trusts a declared payload hash, so check it against the body received.
  const declaredPayloadHash = request.headers['x-amz-content-sha256']?.[0];
  if (declaredPayloadHash !== undefined && declaredPayloadHash !== createHash('sha256').update(request.body).digest('hex')) {
    return { valid: false, failure: 'mismatch' };
  }

  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) headers[name] = (request.headers[name] ?? []).map((value) => value.trim()).join(',');
  const signer = new SignatureV4({
    credentials,
    region: options.region,
    service: options.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const resigned = await signer.sign(
    new HttpRequest({
      method: request.method,
      path: request.rawPath,
      query: signingQuery(request.rawQuery),
      headers,
      body: request.body,
    }),
    { signingDate, signableHeaders: new Set(parsed.signedHeaders) },
  );
  const expected = parseAuthorization(String(resigned.headers.authorization))?.signature;
  if (expected === undefined) throw new Error('The signer produced no signature');
  const matches = timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(parsed.signature, 'hex'));
  return matches ? { valid: true, accessKeyId: parsed.accessKeyId } : { valid: false, failure: 'mismatch' };
}
