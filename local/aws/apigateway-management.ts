import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import type { UsagePlans } from '../apigateway/usage-plans';
import type { GatewayRequest } from '../http/http-request';
import { isUsagePlanRequest, usagePlanOperation } from './apigateway-usage-plans';
import { awsErrorResponse } from './aws-errors';
import { type Credentials, onlyCredentials, SIGV4_FAILURES, verifySigV4 } from './sigv4';

/** API Gateway's FlushStageAuthorizersCache operation. */
const FLUSH_PATH = /^\/restapis\/([^/]+)\/stages\/([^/]+)\/cache\/authorizers$/;

/** A local stage whose authorizer cache can be flushed. */
export interface FlushableStage {
  restApiId: string;
  stageName: string;
  flushAuthorizerCache: () => void;
}

export interface ApiGatewayManagementOptions {
  region: string;
  stages: readonly FlushableStage[];
  /** The usage plans of the local stages, with their API keys. */
  usagePlans: UsagePlans;
  /** The credentials this process gives the AWS SDK: the only ones accepted. */
  sdkCredentials: () => Promise<Credentials>;
}

const isFlushRequest = (request: Pick<GatewayRequest, 'method' | 'rawPath'>) =>
  request.method === 'DELETE' && FLUSH_PATH.test(request.rawPath);

export function isApiGatewayManagementRequest(request: Pick<GatewayRequest, 'method' | 'rawPath'>): boolean {
  return isFlushRequest(request) || isUsagePlanRequest(request);
}

/**
 * The API Gateway management calls the functions make: the cache flush, for
 * each local stage, and the API key and usage plan calls of the tenant
 * functions. They run unchanged and send them with the AWS SDK, which
 * AWS_ENDPOINT_URL_API_GATEWAY points here.
 */
export function createApiGatewayManagement(
  options: ApiGatewayManagementOptions,
): (request: GatewayRequest) => Promise<HttpResponse> {
  return async (request) => {
    if (request.bodyTooLarge) return gatewayErrorResponse('REQUEST_TOO_LARGE');
    const verdict = await verifySigV4(request, {
      region: options.region,
      service: 'apigateway',
      credentialsFor: onlyCredentials(options.sdkCredentials),
    });
    if (!verdict.valid) {
      // An unsigned call may be someone exploring the API: it gets what the API answers for a path it does not have.
      if (verdict.failure === 'missing') return gatewayErrorResponse('MISSING_AUTHENTICATION_TOKEN');
      const { type, status } = SIGV4_FAILURES[verdict.failure].awsError;
      return awsErrorResponse(status, type, 'The request signature is not valid for the local API Gateway endpoint.', 'message');
    }
    if (!isFlushRequest(request)) return usagePlanOperation(options.usagePlans, request);
    const [, restApiId, stageName] = FLUSH_PATH.exec(request.rawPath) ?? [];
    const stage = options.stages.find((candidate) => candidate.restApiId === restApiId && candidate.stageName === stageName);
    if (!stage) return awsErrorResponse(404, 'NotFoundException', 'Invalid stage identifier specified', 'message');
    stage.flushAuthorizerCache();
    return { statusCode: 202, headers: { 'Cache-Control': 'no-store' }, body: '' };
  };
}
