import { KeyService } from '../../src/domain/key-service';
import { auditTrailFromEnvironment, logAuditDeliveryFailure } from './audit';
import { authorizerCacheInvalidation } from './authorizer-cache-invalidation';
import { keyPrefixFromEnvironment, keyStoreFromEnvironment, tenantStoreFromEnvironment } from './key-store';
import { tenantServiceFromEnvironment } from './usage-plans';

/**
 * The key service of a function that issues keys (create and rotate): idempotent
 * requests, the audit trail, the deployment's key prefix, and the tenant's usage
 * plan arranged before its first key. Settings are read when the function starts.
 */
export function issuingKeyServiceFromEnvironment(): KeyService {
  return new KeyService({
    store: keyStoreFromEnvironment(),
    invalidation: authorizerCacheInvalidation(),
    idempotency: tenantStoreFromEnvironment(),
    audit: auditTrailFromEnvironment(),
    onAuditDeliveryFailure: logAuditDeliveryFailure,
    keyPrefix: keyPrefixFromEnvironment(),
    tenants: tenantServiceFromEnvironment(),
  });
}
