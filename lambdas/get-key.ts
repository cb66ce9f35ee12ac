import { httpHandler, json, keyIdOf, tenantOf } from './shared/http';
import { keyService } from './shared/runtime';

/** GET /tenants/{tenantId}/keys/{keyId} and GET /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  return json(200, await keyService().get(tenantOf(event), keyIdOf(event)));
});
