import { scheduleAuthorizerCacheFlush } from './shared/authorizer-cache';
import { callerOf, httpHandler, json, readJsonBody, requestPath, tenantOf } from './shared/http';
import { keyService } from './shared/runtime';

/** POST /tenants/{tenantId}/keys and POST /keys: the only response that shows the new secret. */
export const handler = httpHandler(async (event) => {
  const issued = await keyService().create(tenantOf(event), readJsonBody(event), callerOf(event));
  if (issued.expiresAt) await scheduleAuthorizerCacheFlush(issued.id, issued.expiresAt);
  return json(201, issued, { Location: `${requestPath(event)}/${issued.id}` });
});
