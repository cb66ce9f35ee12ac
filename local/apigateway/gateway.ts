import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { API_KEY_HEADER } from '../../src/http-headers';
import type { GatewayResponseType } from '../../src/problem';
import type { RouteAuthorization } from '../../src/routes';
import { type Credentials, onlyCredentials, precheckSigV4, SIGV4_FAILURES, type SigV4Options, verifySigV4 } from '../aws/sigv4';
import type { GatewayRequest } from '../http/http-request';
import type { AuthorizerRunner } from './authorizer-runner';
import { authorizerEvent, type CallerIdentity, proxyEvent } from './proxy-events';
import { fromProxyResult, gatewayErrorResponse, type HttpResponse } from './responses';
import { createRouter, type RouteMatch } from './router';
import { methodArnFor, type Stage } from './stage';
import { createTokenBucket, type TokenBucket } from './token-bucket';
import { apiStageOf, type UsagePlans } from './usage-plans';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<unknown>;

/** One method of a local API: how it is authorized, and the Lambda behind it. */
export interface GatewayRoute {
  method: string;
  path: string;
  authorization: RouteAuthorization;
  /** The function's name, for the log when it fails. */
  name: string;
  /** The method's `apiKeyRequired`: the stage's usage plans then apply to it, with the key the authorizer names. */
  apiKeyRequired?: boolean;
  /** The method's own throttle: one token bucket for all its callers, as API Gateway's method throttling is. */
  throttle?: { rateLimit: number; burstLimit: number };
  handler: ProxyHandler;
}

export interface GatewayOptions {
  routes: readonly GatewayRoute[];
  /** The x-api-key authorizer, on `apiKey` routes. */
  authorizer: AuthorizerRunner;
  /** The console users' JWT authorizer, on `jwt` routes; an API without such routes needs none. */
  jwtAuthorizer?: AuthorizerRunner;
  stage: Stage;
  /** The only credentials IAM-authorized routes accept; an API without such routes needs none. */
  adminCredentials?: Credentials;
  /** The usage plans that cover this stage, for methods that require an API key; without them such a method refuses every call, as API Gateway does. */
  usagePlans?: Pick<UsagePlans, 'admit'>;
  /** @default Date.now */
  now?: () => number;
}

const AUTHORIZER_FAILURES = {
  unauthorized: 'UNAUTHORIZED',
  denied: 'ACCESS_DENIED',
  // What API Gateway does: both are AUTHORIZER_CONFIGURATION_ERROR (see GATEWAY_RESPONSES).
  failed: 'AUTHORIZER_CONFIGURATION_ERROR',
  misconfigured: 'AUTHORIZER_CONFIGURATION_ERROR',
} as const satisfies Record<string, GatewayResponseType>;

type Admission =
  | {
      admitted: true;
      authorizer: Record<string, string> | null;
      caller?: CallerIdentity;
      /** The API key of a method that requires one, which API Gateway passes on in the request context. */
      apiKey?: { id: string; value: string };
    }
  | { admitted: false; refusal: GatewayResponseType };

/**
 * A REST API stage in front of its Lambdas: routing, IAM (SigV4), the REQUEST
 * authorizer and the usage plans of methods that require an API key, Lambda
 * proxy events in and out.
 */
export function createGateway(options: GatewayOptions): (request: GatewayRequest) => Promise<HttpResponse> {
  const route = createRouter(options.routes);
  const { stage, adminCredentials, authorizer, jwtAuthorizer } = options;
  const now = options.now ?? Date.now;
  const apiStage = apiStageOf(stage);
  const throttles = new Map<GatewayRoute, TokenBucket>(
    options.routes.flatMap((each) => (each.throttle ? [[each, createTokenBucket(each.throttle, now)] as const] : [])),
  );

  const sigV4Options: SigV4Options = {
    region: stage.region,
    service: 'execute-api',
    credentialsFor: adminCredentials ? onlyCredentials(async () => adminCredentials) : () => undefined,
  };

  async function admitSigned(request: GatewayRequest): Promise<Admission> {
    if (request.bodyTooLarge) {
      // The signature covers the body, which was not kept: every other check still comes first.
      const verdict = await precheckSigV4(request, sigV4Options);
      return { admitted: false, refusal: verdict.valid ? 'REQUEST_TOO_LARGE' : SIGV4_FAILURES[verdict.failure].gatewayResponse };
    }
    const verdict = await verifySigV4(request, sigV4Options);
    if (!verdict.valid) return { admitted: false, refusal: SIGV4_FAILURES[verdict.failure].gatewayResponse };
    return {
      admitted: true,
      authorizer: null,
      caller: {
        accessKey: verdict.accessKeyId,
        accountId: stage.accountId,
        // Local mode has one admin: the holder of ADMIN_ACCESS_KEY_ID, named as an IAM user would be.
        userArn: `arn:aws:iam::${stage.accountId}:user/local-admin`,
      },
    };
  }

  async function admitWithApiKey(
    request: GatewayRequest,
    match: RouteMatch<GatewayRoute>,
    requestId: string,
  ): Promise<Admission> {
    // Every value sent, under any casing of the name. Two different ones are refused outright: API Gateway
    // would cache the answer under one while the authorizer judged another, and the authorizer refuses them too.
    const apiKeys = new Set(request.headers[API_KEY_HEADER] ?? []);
    if (apiKeys.size !== 1) return { admitted: false, refusal: 'UNAUTHORIZED' };
    const [apiKey] = apiKeys;
    // A missing identity source is refused before the authorizer runs.
    if (!apiKey) return { admitted: false, refusal: 'UNAUTHORIZED' };
    const result = await authorizer(apiKey, methodArnFor(stage, request.method, request.rawPath), () =>
      authorizerEvent(request, match, stage, requestId),
    );
    if (result.outcome !== 'allowed') return { admitted: false, refusal: AUTHORIZER_FAILURES[result.outcome] };
    const authorizerContext = { ...result.context, principalId: result.principalId };
    if (!match.route.apiKeyRequired) return { admitted: true, authorizer: authorizerContext };
    // With the API key source AUTHORIZER, the key is the one the authorizer named, never a header's.
    if (!options.usagePlans) return { admitted: false, refusal: 'INVALID_API_KEY' };
    const usage = options.usagePlans.admit(result.usageIdentifierKey, apiStage);
    if (!usage.admitted) return usage;
    return { admitted: true, authorizer: authorizerContext, apiKey: usage.apiKey };
  }

  /**
   * The console's authorizer caches nothing (a cached answer would outlive the token's
   * expiry), and with caching off its identity source is optional ("Authorizer",
   * API Gateway REST API Reference): it is called even without an Authorization
   * header, and refuses such a request itself.
   */
  async function admitWithBearer(
    request: GatewayRequest,
    match: RouteMatch<GatewayRoute>,
    requestId: string,
  ): Promise<Admission> {
    if (!jwtAuthorizer) return { admitted: false, refusal: 'AUTHORIZER_CONFIGURATION_ERROR' };
    const identity = [...new Set(request.headers.authorization ?? [])].join(',');
    const result = await jwtAuthorizer(identity, methodArnFor(stage, request.method, request.rawPath), () =>
      authorizerEvent(request, match, stage, requestId),
    );
    if (result.outcome !== 'allowed') return { admitted: false, refusal: AUTHORIZER_FAILURES[result.outcome] };
    return { admitted: true, authorizer: { ...result.context, principalId: result.principalId } };
  }

  function admit(request: GatewayRequest, match: RouteMatch<GatewayRoute>, requestId: string): Promise<Admission> | Admission {
    switch (match.route.authorization) {
      case 'iam':
        return admitSigned(request);
      case 'apiKey':
        return admitWithApiKey(request, match, requestId);
      case 'jwt':
        return admitWithBearer(request, match, requestId);
      case 'none':
        return { admitted: true, authorizer: null };
    }
  }

  async function invoke(target: GatewayRoute, event: APIGatewayProxyEvent): Promise<HttpResponse> {
    try {
      return fromProxyResult(await target.handler(event));
    } catch (error) {
      console.error(`Handler ${target.name} failed:`, error instanceof Error ? error.name : String(error));
      return gatewayErrorResponse('INTEGRATION_FAILURE');
    }
  }

  async function handle(request: GatewayRequest, requestId: string): Promise<HttpResponse> {
    const match = route(request.method, request.rawPath);
    // Like API Gateway, an unknown path or method looks the same as an unsigned call.
    if (!match) return gatewayErrorResponse('MISSING_AUTHENTICATION_TOKEN');
    // A method's own throttle (only open methods have one here), one bucket for all its callers.
    if (throttles.get(match.route)?.take() === false) return gatewayErrorResponse('THROTTLED');
    const admission = await admit(request, match, requestId);
    if (!admission.admitted) return gatewayErrorResponse(admission.refusal);
    // Deployed, the handler answers 413 for a body over 10 KiB; one too large to buffer here never reaches it.
    if (request.bodyTooLarge) return gatewayErrorResponse('REQUEST_TOO_LARGE');
    return invoke(match.route, proxyEvent(request, match, stage, requestId, admission));
  }

  return async (request) => {
    const requestId = randomUUID();
    const response = await handle(request, requestId);
    return { ...response, headers: { ...response.headers, 'x-amzn-RequestId': requestId } };
  };
}
