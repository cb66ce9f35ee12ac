import { flushAuthorizerCache, scheduleAuthorizerCacheFlush } from './shared/authorizer-cache';
import { callerOf, httpHandler, json, keyIdOf, readJsonBody, requestPath, tenantOf } from './shared/http';
import { keyService } from './shared/runtime';

/** POST /tenants/{tenantId}/keys/{keyId}/rotate and POST /keys/{keyId}/rotate. */
export const handler = httpHandler(async (event) => {
  const { issued, previousKeyExpiresAt } = await keyService().rotate(tenantOf(event), keyIdOf(event), readJsonBody(event, {}), callerOf(event));
  await flushAuthorizerCache();
  // The old key must stop when its grace period ends, however its Allow was cached.
  await scheduleAuthorizerCacheFlush(keyIdOf(event), previousKeyExpiresAt);
  if (issued.expiresAt) await scheduleAuthorizerCacheFlush(issued.id, issued.expiresAt);
  const location = requestPath(event).replace(/\/[^/]+\/rotate$/, `/${issued.id}`);
  return json(201, issued, { Location: location });
});
