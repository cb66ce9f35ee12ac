import { AuditQueries } from '../src/domain/audit-queries';
import { httpHandler, json, tenantOf } from './shared/http';
import { keyStoreFromEnvironment, tenantStoreFromEnvironment } from './shared/key-store';

const tenants = tenantStoreFromEnvironment();
const trail = new AuditQueries(tenants, [keyStoreFromEnvironment(), tenants]);

/** GET /tenants/{tenantId}/audit, GET /audit and GET /console/api/audit: newest first, paged by an opaque cursor. */
export const handler = httpHandler(async (event) => {
  return json(200, await trail.list(tenantOf(event), event.queryStringParameters ?? {}));
});
