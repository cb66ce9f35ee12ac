import { httpHandler, json, tenantOf } from './shared/http';
import { tenantServiceFromEnvironment } from './shared/usage-plans';

const tenants = tenantServiceFromEnvironment();

/** GET /tenants/{tenantId}: its plan; a tenant never configured has the default. */
export const handler = httpHandler(async (event) => json(200, await tenants.get(tenantOf(event))));
