import { auditTrailFromEnvironment } from './shared/audit';
import { callerOf, httpHandler, json, readJsonBody, tenantOf } from './shared/http';
import { tenantServiceFromEnvironment } from './shared/usage-plans';

const tenants = tenantServiceFromEnvironment(auditTrailFromEnvironment());

/** PUT /tenants/{tenantId}: moves the tenant to a plan, in API Gateway first; a change is recorded as tenant.updated. */
export const handler = httpHandler(async (event) =>
  json(200, await tenants.setPlan(tenantOf(event), readJsonBody(event), callerOf(event))),
);
