/** The construct library: what another CDK app installs to run the service in its own account. */

export type { Plan, PlanDeclaration, QuotaPeriod } from '../src/plans';
export { ApiKeyService, type ApiKeyServiceProps } from './api-key-service';
export { ApiKeyServiceStack, type ApiKeyServiceStackProps } from './api-key-service-stack';
export { AuditTrail, type AuditTrailProps } from './audit-trail';
export { AuthorizerCacheFlush, type AuthorizerCacheFlushProps } from './authorizer-cache-flush';
export { ConsoleSignIn, type ConsoleSignInOptions, type ConsoleSignInProps } from './console-sign-in';
export { ExpiryWarnings, type ExpiryWarningsProps } from './expiry-warnings';
export type { IApiKeyService, VerificationMetricOptions } from './i-api-key-service';
export { KeyTable, type KeyTableAccess } from './key-table';
export { MethodAccess } from './method-access';
export { ProtectedHttpApi, type ProtectedHttpApiProps, type ProtectedRouteOptions } from './protected-http-api';
export { ProtectedRestApi, type ProtectedRestApiProps } from './protected-rest-api';
export {
  type ServiceAlarms,
  ServiceMonitoring,
  type ServiceMonitoringOptions,
  type ServiceMonitoringProps,
} from './service-monitoring';
export { TenantTable } from './tenant-table';
export { TenantUsagePlans, type TenantUsagePlansProps } from './tenant-usage-plans';
