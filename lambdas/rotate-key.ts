import { flushAuthorizerCache } from './shared/authorizer-cache';
import { callerOf, httpHandler, json, keyIdOf, readJsonBody, requestPath, tenantOf } from './shared/http';
import { keyService } from './shared/runtime';

/** POST /tenants/{tenantId}/keys/{keyId}/rotate and POST /keys/{keyId}/rotate. */
export const handler = httpHandler(async (event) => {
  const issued = await keyService().rotate(tenantOf(event), keyIdOf(event), readJsonBody(event, {}), callerOf(event));
  await flushAuthorizerCache();
  const location = requestPath(event).replace(/\/[^/]+\/rotate$/, `/${issued.id}`);
  return json(201, issued, { Location: location });
});
