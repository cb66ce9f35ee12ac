import { createHash } from 'node:crypto';
import type {
  APIGatewayEventIdentity,
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { type GatewayRequest, lastHeaderValue, parseQuery } from '../http/http-request';
import type { RouteMatch } from './router';
import { methodArnFor, type Stage } from './stage';

/** Who signed an IAM-authorized call, as API Gateway reports it to the integration. */
export interface CallerIdentity {
  accessKey: string;
  accountId: string;
  /** The IAM user the credentials belong to. */
  userArn: string;
}

function headerMaps(request: GatewayRequest) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of request.headerPairs) {
    headers[name] = value;
    const values = multiValueHeaders[name];
    if (values) values.push(value);
    else multiValueHeaders[name] = [value];
  }
  return { headers, multiValueHeaders };
}

function queryMaps(rawQuery: string) {
  const pairs = rawQuery === '' ? [] : parseQuery(rawQuery);
  if (pairs.length === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    single[name] = value;
    const values = multi[name];
    if (values) values.push(value);
    else multi[name] = [value];
  }
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number) => String(n).padStart(2, '0');

/** API Gateway's `requestTime`: `26/Nov/2026:18:57:25 +0000`. */
function formatRequestTime(date: Date): string {
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** The last second's `requestTime`: requests come many a second, and each would format the same. */
const lastRequestTime = { second: Number.NaN, text: '' };
function requestTime(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastRequestTime.second) {
    lastRequestTime.second = second;
    lastRequestTime.text = formatRequestTime(date);
  }
  return lastRequestTime.text;
}

/** The API key of a method that requires one: `$context.identity.apiKey` and `apiKeyId`. */
export interface RequestApiKey {
  id: string;
  value: string;
}

function identityOf(request: GatewayRequest, caller?: CallerIdentity, apiKey?: RequestApiKey): APIGatewayEventIdentity {
  return {
    accessKey: caller?.accessKey ?? null,
    accountId: caller?.accountId ?? null,
    apiKey: apiKey?.value ?? null,
    apiKeyId: apiKey?.id ?? null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp: request.sourceIp,
    user: null,
    userAgent: lastHeaderValue(request, 'user-agent') ?? null,
    userArn: caller?.userArn ?? null,
  };
}

/** A stand-in for API Gateway's resource id, stable per path; hashed once per path, not per request. */
const resourceIds = new Map<string, string>();
function resourceIdOf(path: string): string {
  let id = resourceIds.get(path);
  if (id === undefined) {
    id = createHash('sha256').update(path).digest('hex').slice(0, 6);
    resourceIds.set(path, id);
  }
  return id;
}

function requestContext<A>(
  request: GatewayRequest,
  match: RouteMatch,
  stage: Stage,
  requestId: string,
  authorizer: A,
  caller?: CallerIdentity,
  apiKey?: RequestApiKey,
): APIGatewayEventRequestContextWithAuthorizer<A> {
  return {
    accountId: stage.accountId,
    apiId: stage.restApiId,
    authorizer,
    domainName: lastHeaderValue(request, 'host'),
    extendedRequestId: requestId,
    httpMethod: request.method,
    identity: identityOf(request, caller, apiKey),
    // Deployed, this carries the stage (/v1/...); local paths have none. Handlers build Location from it.
    path: request.rawPath,
    protocol: 'HTTP/1.1',
    requestId,
    requestTime: requestTime(request.receivedAt),
    requestTimeEpoch: request.receivedAt.getTime(),
    resourceId: resourceIdOf(match.route.path),
    resourcePath: match.route.path,
    stage: stage.name,
  };
}

function commonFields(request: GatewayRequest, match: RouteMatch, stage: Stage) {
  return {
    resource: match.route.path,
    path: request.rawPath,
    httpMethod: request.method,
    ...headerMaps(request),
    ...queryMaps(request.rawQuery),
    pathParameters: match.pathParameters,
    stageVariables: stage.variables ?? null,
  };
}

/** The event a REST API gives a REQUEST authorizer. */
export function authorizerEvent(
  request: GatewayRequest,
  match: RouteMatch,
  stage: Stage,
  requestId: string,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: methodArnFor(stage, request.method, request.rawPath),
    ...commonFields(request, match, stage),
    requestContext: requestContext(request, match, stage, requestId, undefined),
  };
}

/**
 * The Lambda proxy (payload 1.0) event a REST API gives an integration. For
 * routes behind the authorizer, `authorizer` holds its principalId and context.
 */
export function proxyEvent(
  request: GatewayRequest,
  match: RouteMatch,
  stage: Stage,
  requestId: string,
  auth: { authorizer: Record<string, string> | null; caller?: CallerIdentity; apiKey?: RequestApiKey },
): APIGatewayProxyEvent {
  return {
    ...commonFields(request, match, stage),
    requestContext: requestContext(request, match, stage, requestId, auth.authorizer, auth.caller, auth.apiKey),
    body: request.body.length > 0 ? request.body.toString('utf8') : null,
    isBase64Encoded: false,
  };
}
