/** RFC 9457 problem details: the body of every error this API returns. */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

export function problem(status: number, title: string, detail: string, errors?: Problem['errors']): Problem {
  return errors ? { type: 'about:blank', title, status, detail, errors } : { type: 'about:blank', title, status, detail };
}

/**
 * The problem type of a valid key refused only because the stage it called is in
 * none of the usage plans, or its tenant's API Gateway key is in none of them for a
 * moment (docs/http-api.md#problem-types). The fault is the service's, not the
 * client's: the request may succeed when retried.
 */
export const USAGE_PLAN_UNAVAILABLE_TYPE = 'urn:api-key-service:problem:usage-plan-unavailable';

/** API Gateway's own error responses, rewritten as problem+json. */
export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_SIGNATURE'
  | 'EXPIRED_TOKEN'
  | 'REQUEST_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BAD_REQUEST_BODY'
  | 'BAD_REQUEST_PARAMETERS'
  | 'RESOURCE_NOT_FOUND'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'INVALID_API_KEY'
  | 'WAF_FILTERED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'API_CONFIGURATION_ERROR'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

/** Headers on every problem response: the handlers', and API Gateway's own, deployed and local alike. */
export const PROBLEM_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': PROBLEM_CONTENT_TYPE,
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export interface GatewayResponseDefinition {
  type: GatewayResponseType;
  body: Problem;
  /** Extra headers beyond PROBLEM_HEADERS, which every response gets. */
  headers?: Record<string, string>;
}

const gatewayProblem = (
  type: GatewayResponseType,
  status: number,
  title: string,
  detail: string,
  headers?: Record<string, string>,
  problemType?: string,
) =>
  ({
    type,
    body: { ...problem(status, title, detail), ...(problemType ? { type: problemType } : {}) },
    ...(headers ? { headers } : {}),
  }) satisfies GatewayResponseDefinition;

/**
 * Every response type is listed with a fixed status, so each body's `status` is
 * true; the DEFAULT_* entries only catch types API Gateway may add later.
 *
 * A failing authorizer (DynamoDB down) fails closed with a retryable 503. API
 * Gateway answers a Lambda authorizer that throws anything but "Unauthorized",
 * times out or returns an unusable answer with AUTHORIZER_CONFIGURATION_ERROR
 * (default 500: "Gateway response types for API Gateway", API Gateway Developer
 * Guide), so that is the type the 503 must be on; AUTHORIZER_FAILURE gets the
 * same answer.
 *
 * API Gateway answers INVALID_API_KEY (default 403) to a request the authorizer
 * allowed when the key it named is in no usage plan of the stage: the stage was
 * dropped from the plans (a CloudFormation update of a plan can do that), or the
 * tenant's key is between plans. The client did nothing wrong, so it is a 503 with
 * a problem type of its own, and the 5xx alarm sees it.
 */
export const GATEWAY_RESPONSES: readonly GatewayResponseDefinition[] = [
  gatewayProblem(
    'UNAUTHORIZED',
    401,
    'Unauthorized',
    "Valid credentials are required: an API key in the x-api-key header, or, on the console's routes, a signed-in user's token.",
  ),
  gatewayProblem('ACCESS_DENIED', 403, 'Forbidden', 'The credentials do not grant access to this route.'),
  gatewayProblem('MISSING_AUTHENTICATION_TOKEN', 403, 'Forbidden', 'The request is not signed, or there is no such route.'),
  gatewayProblem('INVALID_SIGNATURE', 403, 'Forbidden', 'The request signature is not valid.'),
  gatewayProblem('EXPIRED_TOKEN', 403, 'Forbidden', 'The request signature or security token has expired.'),
  gatewayProblem(
    'INVALID_API_KEY',
    503,
    'Service Unavailable',
    "The key is valid, but this API's usage plans do not cover it right now; retry shortly.",
    { 'Retry-After': '5' },
    USAGE_PLAN_UNAVAILABLE_TYPE,
  ),
  gatewayProblem('WAF_FILTERED', 403, 'Forbidden', 'The request was blocked.'),
  gatewayProblem('REQUEST_TOO_LARGE', 413, 'Content Too Large', 'The request body is too large.'),
  gatewayProblem('UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported Media Type', 'The request body must be application/json.'),
  gatewayProblem('BAD_REQUEST_BODY', 400, 'Bad Request', 'The request body is not valid.'),
  gatewayProblem('BAD_REQUEST_PARAMETERS', 400, 'Bad Request', 'The request parameters are not valid.'),
  gatewayProblem('RESOURCE_NOT_FOUND', 404, 'Not Found', 'There is no such resource.'),
  gatewayProblem('THROTTLED', 429, 'Too Many Requests', 'Too many requests; slow down and retry.', { 'Retry-After': '1' }),
  gatewayProblem('QUOTA_EXCEEDED', 429, 'Too Many Requests', 'The request quota is used up.', { 'Retry-After': '60' }),
  gatewayProblem(
    'AUTHORIZER_FAILURE',
    503,
    'Service Unavailable',
    'The credentials could not be checked right now; retry shortly.',
    {
      'Retry-After': '1',
    },
  ),
  gatewayProblem(
    'AUTHORIZER_CONFIGURATION_ERROR',
    503,
    'Service Unavailable',
    'The credentials could not be checked right now; retry shortly.',
    {
      'Retry-After': '1',
    },
  ),
  gatewayProblem('INTEGRATION_FAILURE', 502, 'Bad Gateway', 'The backend failed to answer.'),
  gatewayProblem('INTEGRATION_TIMEOUT', 504, 'Gateway Timeout', 'The backend did not answer in time.'),
  gatewayProblem('API_CONFIGURATION_ERROR', 500, 'Internal Server Error', 'The API is misconfigured.'),
  gatewayProblem('DEFAULT_4XX', 400, 'Bad Request', 'The request was rejected.'),
  gatewayProblem('DEFAULT_5XX', 500, 'Internal Server Error', 'The request failed.'),
];

export function gatewayResponse(type: GatewayResponseType): GatewayResponseDefinition {
  const found = GATEWAY_RESPONSES.find((response) => response.type === type);
  if (!found) throw new Error(`No gateway response for ${type}`);
  return found;
}
