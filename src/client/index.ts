/**
 * The typed client for the service's HTTP API: `api-key-service/client`. It
 * needs no CDK: a back office installs the package and imports only this.
 */

export {
  ApiKeyServiceClient,
  type ApiKeyServiceClientOptions,
  type KeyCheck,
  type RevocationAccepted,
  type Tenant,
  type Usage,
  type UsageRange,
} from './api-key-service-client';
export type { AuditActor, AuditList, AuditQuery, AuditRecord, FieldChange } from './audit-routes';
export type { AwsCredentials, AwsCredentialsProvider } from './authentication';
export { ApiProblemError, type ProblemFieldError, RequestTimeoutError } from './errors';
export type {
  ApiKey,
  CreateKeyInput,
  IdempotentCallOptions,
  IssuedApiKey,
  KeyChanges,
  KeyList,
  ListKeysQuery,
  ReplayedApiKey,
  RevokeKeyInput,
  RotatedApiKey,
  RotateKeyInput,
} from './key-routes';
export { SelfServiceClient, type SelfServiceClientOptions, type Whoami } from './self-service-client';
export type { CallOptions, TransportOptions } from './transport';
