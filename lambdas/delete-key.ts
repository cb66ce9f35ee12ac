import { KeyService } from '../src/domain/key-service';
import { authorizerCacheInvalidation } from './shared/authorizer-cache-invalidation';
import { httpHandler, keyIdOf, noContent, tenantOf } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyService({ store: keyStoreFromEnvironment(), invalidation: authorizerCacheInvalidation() });

/** DELETE /tenants/{tenantId}/keys/{keyId} and DELETE /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  await keys.delete(tenantOf(event), keyIdOf(event));
  return noContent();
});
