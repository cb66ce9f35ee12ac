import { KeyQueries } from '../src/domain/key-queries';
import { httpHandler, json, tenantOf } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyQueries(keyStoreFromEnvironment());

/** GET /tenants/{tenantId}/keys and GET /keys: newest first, paged by an opaque cursor. */
export const handler = httpHandler(async (event) => {
  return json(200, await keys.list(tenantOf(event), event.queryStringParameters ?? {}));
});
