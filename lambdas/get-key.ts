import { KeyQueries } from '../src/domain/key-queries';
import { httpHandler, json, keyIdOf, tenantOf } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';

const keys = new KeyQueries(keyStoreFromEnvironment());

/** GET /tenants/{tenantId}/keys/{keyId} and GET /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  return json(200, await keys.get(tenantOf(event), keyIdOf(event)));
});
