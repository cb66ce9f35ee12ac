import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { addProblemResponses } from './problem-responses';

/**
 * API Gateway's standard fields, plus who called: the key (principalId) and tenant
 * on key routes, the IAM principal on admin routes. Never the key itself. Each
 * field is paid for on every request, cached or not (docs/performance.md): the
 * IAM caller's id and user name are left out (its ARN says who), and so is
 * the HTTP version.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    ip: AccessLogField.contextIdentitySourceIp(),
    userArn: AccessLogField.contextIdentityUserArn(),
    requestTime: AccessLogField.contextRequestTime(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    keyId: AccessLogField.contextAuthorizerPrincipalId(),
    tenantId: AccessLogField.contextAuthorizer('tenantId'),
    errorType: AccessLogField.contextErrorResponseType(),
    authorizerError: AccessLogField.contextAuthorizerError(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
  }),
);

export interface ServiceApiProps {
  readonly stageName: string;
  readonly logRetention: RetentionDays;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly cloudWatchRole: boolean;
  readonly tracing: boolean;
  /** Methods' own throttles, by API Gateway's method path (`/revoke/POST`). */
  readonly methodThrottles: Readonly<Record<string, { rateLimit: number; burstLimit: number }>>;
}

/**
 * The service's RestApi: one stage with JSON access logs, execution logs at
 * ERROR without request or response data (they carry keys), stage throttling and
 * the throttles of single methods,
 * usage plans keyed by the authorizer, and every gateway response rewritten as problem+json.
 */
export function serviceApi(scope: Construct, props: ServiceApiProps): { api: RestApi; accessLogs: LogGroup } {
  const accessLogs = new LogGroup(scope, 'AccessLogs', { retention: props.logRetention });
  const api = new RestApi(scope, 'Api', {
    description: 'API key service: admin key management (SigV4), self-service key management and /whoami (x-api-key).',
    cloudWatchRole: props.cloudWatchRole,
    // The tenant's usage plan is named by the authorizer, never by a header a caller could send.
    apiKeySourceType: ApiKeySourceType.AUTHORIZER,
    deployOptions: {
      stageName: props.stageName,
      accessLogDestination: new LogGroupLogDestination(accessLogs),
      accessLogFormat: ACCESS_LOG_FORMAT,
      loggingLevel: MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      methodOptions: Object.fromEntries(
        Object.entries(props.methodThrottles).map(([path, { rateLimit, burstLimit }]) => [
          path,
          { throttlingRateLimit: rateLimit, throttlingBurstLimit: burstLimit },
        ]),
      ),
      // Left out unless on, so that a stack without tracing keeps its template.
      tracingEnabled: props.tracing ? true : undefined,
    },
  });
  // A reusable construct leaves stack outputs to its stack (ApiKeyServiceStack adds ApiUrl).
  api.node.tryRemoveChild('Endpoint');
  addProblemResponses(api);
  return { api, accessLogs };
}
