import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/body-limits';
import { isDomainError, type KnownDomainError, ValidationError } from '../../src/domain/errors';
import { PROBLEM_HEADERS, type Problem, problem } from '../../src/problem';
import { errorDetails, logger } from './logger';

/**
 * What every route handler shares at the HTTP edge: JSON and problem+json
 * answers, the request's headers and body checked, and the mapping of every
 * failure to its response, logged. It does not load the route table, so
 * POST /verify, on the hot path, can use it; the other handlers take it from http.ts.
 */

/** A failure of the HTTP request itself, before the domain sees it. */
class HttpError extends Error {
  readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

const BASE_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...BASE_HEADERS, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function noContent(): APIGatewayProxyResult {
  return { statusCode: 204, headers: { ...BASE_HEADERS }, body: '' };
}

function problemResponse(body: Problem, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: body.status, headers: { ...PROBLEM_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** 404 problem+json for something other than a key. */
export function notFound(detail: string): APIGatewayProxyResult {
  return problemResponse(problem(404, 'Not Found', detail));
}

/** `idempotency-key` as people write it: `Idempotency-Key`. */
const headerTitle = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());

/**
 * The request's value of a header, in any casing; undefined when it has none.
 * Sent more than once with different values, it is a 400 naming it: which one
 * the client meant is unknowable (API Gateway passes the last in `headers`, and
 * every one in `multiValueHeaders`).
 */
export function header(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values = new Set<string>();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) values.add(value);
  }
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted) for (const value of list ?? []) values.add(value);
  }
  if (values.size > 1) {
    throw new ValidationError([
      { path: headerTitle(wanted), message: `must be sent once; it came with ${values.size} different values` },
    ]);
  }
  return values.values().next().value;
}

function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === 'application/json';
}

/**
 * The request's body as sent, checked to be JSON of at most `maxBytes` (a route's
 * own limit; §3's 10 KiB unless the route table gives it another); undefined for an
 * absent or empty body.
 */
export function readJsonBytes(event: APIGatewayProxyEvent, maxBytes = DEFAULT_MAX_BODY_BYTES): Buffer | undefined {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > maxBytes) {
    throw new HttpError(413, 'Content Too Large', `The request body must be at most ${maxBytes} bytes.`);
  }
  if (!isJsonMediaType(header(event, 'content-type'))) {
    throw new HttpError(415, 'Unsupported Media Type', 'The request body must be sent as Content-Type: application/json.');
  }
  return bytes;
}

/** A body readJsonBytes let through, parsed. */
export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Bad Request', 'The request body is not valid JSON.');
  }
}

/**
 * The request's JSON body. An absent or empty body reads as `emptyAs`
 * (undefined where a body is required, so validation names it).
 */
export function readJsonBody(event: APIGatewayProxyEvent, emptyAs?: unknown): unknown {
  const bytes = readJsonBytes(event);
  return bytes === undefined ? emptyAs : parseJson(bytes);
}

/**
 * The response for each kind of domain failure. The switch covers every kind,
 * or this does not compile: a new kind cannot fall through to a 500.
 */
function domainErrorResponse(error: KnownDomainError): APIGatewayProxyResult {
  switch (error.kind) {
    case 'validation':
      return problemResponse(problem(400, 'Bad Request', error.message, error.errors));
    case 'escalation':
      return problemResponse(problem(403, 'Forbidden', error.message, error.errors));
    case 'keyNotFound':
      return problemResponse(problem(404, 'Not Found', error.message));
    case 'concurrentChange':
      return problemResponse(problem(409, 'Conflict', `${error.message} Read it again and retry.`));
    case 'conflict':
      return problemResponse(problem(409, 'Conflict', error.message));
    case 'requestInProgress':
      return problemResponse(problem(409, 'Conflict', error.message), { 'Retry-After': '1' });
    case 'idempotencyMismatch':
      return problemResponse(problem(422, 'Unprocessable Content', error.message));
    case 'storeConflict':
      // Only a collision of fresh random keys, three times over: a retry draws new ones.
      logger.error('Key store write conflict', { error: error.name });
      return problemResponse(problem(503, 'Service Unavailable', 'The key could not be stored; retry shortly.'), {
        'Retry-After': '1',
      });
    case 'storeUnavailable': {
      const details = errorDetails(error.cause);
      if (error.transient) logger.warn('Key store unavailable', details);
      else logger.error('Key store failed', details);
      return problemResponse(problem(503, 'Service Unavailable', 'The service is temporarily unavailable; retry shortly.'), {
        'Retry-After': String(error.retryAfterSeconds),
      });
    }
    case 'usagePlansUnavailable':
      logger.warn('Usage plans unavailable', { message: error.message, ...errorDetails(error.cause) });
      return problemResponse(problem(503, 'Service Unavailable', error.message), { 'Retry-After': '1' });
    case 'tenantLimit':
      logger.error('API Gateway API key limit reached');
      return problemResponse(problem(409, 'Conflict', error.message));
    case 'signature':
      return problemResponse(problem(401, 'Unauthorized', error.message));
    case 'outOfTime':
      logger.warn('Batch cut short by the time left', { done: error.done, total: error.total });
      return problemResponse(problem(503, 'Service Unavailable', error.message), { 'Retry-After': '1' });
    case 'signingKeysUnavailable':
      logger.warn('Signing keys unavailable', { message: error.message, ...errorDetails(error.cause) });
      return problemResponse(problem(503, 'Service Unavailable', error.message), {
        'Retry-After': String(error.retryAfterSeconds),
      });
    default:
      return assertNever(error);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled domain error kind: ${(value as KnownDomainError).kind}`);
}

/** Maps a failure to its problem+json response; anything unexpected is logged and hidden. */
function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof HttpError) return problemResponse(problem(error.status, error.title, error.message));
  if (isDomainError(error)) return domainErrorResponse(error);
  logger.error('Unhandled error', errorDetails(error));
  return problemResponse(problem(500, 'Internal Server Error', 'The request failed.'));
}

/**
 * Refuses a query parameter the request's route does not take (src/query-schemas.ts).
 * That check, the route table included, is loaded only for a request that
 * carries a query, so that a handler which takes none, such as POST /verify,
 * loads nothing to find that a request without one has none.
 */
async function checkQueryOf(event: APIGatewayProxyEvent): Promise<void> {
  const query = event.queryStringParameters;
  if (!query || Object.keys(query).length === 0) return;
  const { checkQuery } = await import('../../src/query-schemas');
  checkQuery(event.httpMethod, event.resource, query);
}

export type RouteHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/**
 * Wraps a route handler so every failure becomes problem+json, and a query the route
 * does not take a 400; what an operator must see is logged.
 */
export function httpHandler(route: RouteHandler): RouteHandler {
  return async (event, context) => {
    try {
      await checkQueryOf(event);
      return await route(event, context);
    } catch (error) {
      return errorResponse(error);
    }
  };
}
