import { KeyService } from '../src/domain/key-service';
import { apiGatewayCacheInvalidation } from './shared/api-gateway-cache-invalidation';
import { httpHandler, keyIdOf, noContent, tenantOf } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyService({ store: keyStoreFromEnvironment(), invalidation: apiGatewayCacheInvalidation() });

/** DELETE /tenants/{tenantId}/keys/{keyId} and DELETE /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  await keys.delete(tenantOf(event), keyIdOf(event));
  return noContent();
});
