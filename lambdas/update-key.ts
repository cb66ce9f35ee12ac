import { flushAuthorizerCache, scheduleAuthorizerCacheFlush } from './shared/authorizer-cache';
import { callerOf, httpHandler, json, keyIdOf, readJsonBody, tenantOf } from './shared/http';
import { keyService } from './shared/runtime';

/** PATCH /tenants/{tenantId}/keys/{keyId} and PATCH /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  const updated = await keyService().update(tenantOf(event), keyIdOf(event), readJsonBody(event), callerOf(event));
  // Disabling, expiring or narrowing scopes must take effect now, not after the cache TTL.
  await flushAuthorizerCache();
  if (updated.expiresAt) await scheduleAuthorizerCacheFlush(updated.id, updated.expiresAt);
  return json(200, updated);
});
