import { KeyService } from '../src/domain/key-service';
import { apiGatewayCacheInvalidation } from './shared/api-gateway-cache-invalidation';
import { callerOf, httpHandler, json, keyIdOf, readJsonBody, requestPath, tenantOf } from './shared/http';
import { keyPrefixFromEnvironment, keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyService({
  store: keyStoreFromEnvironment(),
  invalidation: apiGatewayCacheInvalidation(),
  keyPrefix: keyPrefixFromEnvironment(),
});

/** POST /tenants/{tenantId}/keys/{keyId}/rotate and POST /keys/{keyId}/rotate. */
export const handler = httpHandler(async (event) => {
  const issued = await keys.rotate(tenantOf(event), keyIdOf(event), readJsonBody(event, {}), callerOf(event));
  const location = requestPath(event).replace(/\/[^/]+\/rotate$/, `/${issued.id}`);
  return json(201, issued, { Location: location });
});
