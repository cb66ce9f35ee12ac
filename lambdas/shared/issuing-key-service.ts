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
  const audit = auditTrailFromEnvironment();
  return new KeyService({
    store: keyStoreFromEnvironment(),
    invalidation: authorizerCacheInvalidation(),
    idempotency: tenantStoreFromEnvironment(),
    audit,
    onAuditDeliveryFailure: logAuditDeliveryFailure,
    keyPrefix: keyPrefixFromEnvironment(),
    // The same trail: a plan change left undelivered goes out with the tenant's next key.
    tenants: tenantServiceFromEnvironment(audit),
  });
}
