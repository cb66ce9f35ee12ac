import type { GatewayRequest } from './http-request';
import { type HttpResponse, gatewayErrorResponse } from './responses';
import { type Credentials, onlyCredentials, verifySigV4 } from './sigv4';
import type { Stage } from './stage';

/** API Gateway's FlushStageAuthorizersCache operation. */
const FLUSH_PATH = /^\/restapis\/([^/]+)\/stages\/([^/]+)\/cache\/authorizers$/;

export interface ControlPlaneOptions {
  stage: Stage;
  /** The credentials this process gives the AWS SDK: the only ones the local control plane accepts. */
  sdkCredentials: () => Promise<Credentials>;
  flushAuthorizerCache: () => void;
}

export function isFlushRequest(request: Pick<GatewayRequest, 'method' | 'rawPath'>): boolean {
  return request.method === 'DELETE' && FLUSH_PATH.test(request.rawPath);
}

/**
 * The one API Gateway management call the handlers make. They run unchanged and
 * send it with the AWS SDK, which AWS_ENDPOINT_URL_API_GATEWAY points here.
 */
export function createControlPlane(options: ControlPlaneOptions): (request: GatewayRequest) => Promise<HttpResponse> {
  return async (request) => {
    if (request.bodyTooLarge) return gatewayErrorResponse('REQUEST_TOO_LARGE');
    const verdict = await verifySigV4(request, {
      region: options.stage.region,
      service: 'apigateway',
      credentialsFor: onlyCredentials(options.sdkCredentials),
    });
    if (!verdict.valid) return gatewayErrorResponse(verdict.failure === 'missing' ? 'MISSING_AUTHENTICATION_TOKEN' : 'INVALID_SIGNATURE');
    const [, restApiId, stageName] = FLUSH_PATH.exec(request.rawPath) ?? [];
    if (restApiId !== options.stage.restApiId || stageName !== options.stage.name) return gatewayErrorResponse('RESOURCE_NOT_FOUND');
    options.flushAuthorizerCache();
    return { statusCode: 202, headers: { 'Cache-Control': 'no-store' }, body: '' };
  };
}
