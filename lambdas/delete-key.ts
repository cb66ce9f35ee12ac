import { KeyService } from '../src/domain/key-service';
import { auditTrailFromEnvironment, logAuditDeliveryFailure } from './shared/audit';
import { authorizerCacheInvalidation } from './shared/authorizer-cache-invalidation';
import { callerOf, httpHandler, keyIdOf, noContent, tenantOf } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyService({
  store: keyStoreFromEnvironment(),
  invalidation: authorizerCacheInvalidation(),
  audit: auditTrailFromEnvironment(),
  onAuditDeliveryFailure: logAuditDeliveryFailure,
});

/** DELETE /tenants/{tenantId}/keys/{keyId} and DELETE /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  await keys.delete(tenantOf(event), keyIdOf(event), callerOf(event));
  return noContent();
});
