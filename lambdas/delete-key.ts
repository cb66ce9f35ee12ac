import { flushAuthorizerCache } from './shared/authorizer-cache';
import { httpHandler, keyIdOf, noContent, tenantOf } from './shared/http';
import { keyService } from './shared/runtime';

/** DELETE /tenants/{tenantId}/keys/{keyId} and DELETE /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  await keyService().delete(tenantOf(event), keyIdOf(event));
  await flushAuthorizerCache();
  return noContent();
});
