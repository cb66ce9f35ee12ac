import { KeyService } from '../../src/domain/key-service';
import { authorizerCacheInvalidation } from './authorizer-cache-invalidation';
import { keyPrefixFromEnvironment, keyStoreFromEnvironment, tenantStoreFromEnvironment } from './key-store';
import { tenantServiceFromEnvironment } from './usage-plans';

/** The key service of a function that changes keys but issues none (update, delete). Settings are read when it starts. */
export function keyServiceFromEnvironment(): KeyService {
  return new KeyService({ store: keyStoreFromEnvironment(), invalidation: authorizerCacheInvalidation() });
}

/**
 * The key service of a function that issues keys (create and rotate): idempotent
 * requests, the deployment's key prefix, and the tenant's usage plan arranged
 * before its first key. Settings are read when the function starts.
 */
export function issuingKeyServiceFromEnvironment(): KeyService {
  return new KeyService({
    store: keyStoreFromEnvironment(),
    invalidation: authorizerCacheInvalidation(),
    idempotency: tenantStoreFromEnvironment(),
    keyPrefix: keyPrefixFromEnvironment(),
    tenants: tenantServiceFromEnvironment(),
  });
}
