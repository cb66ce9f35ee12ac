import { KeyService } from '../src/domain/key-service';
import { apiGatewayCacheInvalidation } from './shared/api-gateway-cache-invalidation';
import { callerOf, httpHandler, json, keyIdOf, readJsonBody, tenantOf } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyService({ store: keyStoreFromEnvironment(), invalidation: apiGatewayCacheInvalidation() });

/** PATCH /tenants/{tenantId}/keys/{keyId} and PATCH /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  return json(200, await keys.update(tenantOf(event), keyIdOf(event), readJsonBody(event), callerOf(event)));
});
