import { httpHandler, json, tenantOf } from './shared/http';
import { tenantServiceFromEnvironment } from './shared/usage-plans';

const tenants = tenantServiceFromEnvironment();

/** GET /tenants/{tenantId}/usage and GET /usage: requests per day, as API Gateway counted them against the plan. */
export const handler = httpHandler(async (event) =>
  json(200, await tenants.usage(tenantOf(event), event.queryStringParameters ?? {})),
);
