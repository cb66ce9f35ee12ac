import { httpHandler, json, tenantOf } from './shared/http';
import { keyService } from './shared/runtime';

/** GET /tenants/{tenantId}/keys and GET /keys: newest first, paged by an opaque cursor. */
export const handler = httpHandler(async (event) => {
  const page = await keyService().list(tenantOf(event), event.queryStringParameters ?? {});
  return json(200, page);
});
