import { KeyService } from '../src/domain/key-service';
import { auditTrailFromEnvironment, logAuditDeliveryFailure } from './shared/audit';
import { authorizerCacheInvalidation } from './shared/authorizer-cache-invalidation';
import { callerOf, httpHandler, json, keyIdOf, readJsonBody, tenantOf } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyService({
  store: keyStoreFromEnvironment(),
  invalidation: authorizerCacheInvalidation(),
  audit: auditTrailFromEnvironment(),
  onAuditDeliveryFailure: logAuditDeliveryFailure,
});

/** PATCH /tenants/{tenantId}/keys/{keyId} and PATCH /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  return json(200, await keys.update(tenantOf(event), keyIdOf(event), readJsonBody(event), callerOf(event)));
});
