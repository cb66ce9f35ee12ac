import { KeyService } from '../src/domain/key-service';
import { apiGatewayCacheInvalidation } from './shared/api-gateway-cache-invalidation';
import { callerOf, httpHandler, json, readJsonBody, requestPath, tenantOf } from './shared/http';
import { keyPrefixFromEnvironment, keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyService({
  store: keyStoreFromEnvironment(),
  invalidation: apiGatewayCacheInvalidation(),
  keyPrefix: keyPrefixFromEnvironment(),
});

/** POST /tenants/{tenantId}/keys and POST /keys: the only response that shows the new secret. */
export const handler = httpHandler(async (event) => {
  const issued = await keys.create(tenantOf(event), readJsonBody(event), callerOf(event));
  return json(201, issued, { Location: `${requestPath(event)}/${issued.id}` });
});
