import { setPlanBodySchema } from '../src/domain/validation';
import { commandRequestOf } from './shared/command-request';
import { httpHandler, json } from './shared/http';
import { tenantServiceFromEnvironment } from './shared/usage-plans';

const tenants = tenantServiceFromEnvironment();

/** PUT /tenants/{tenantId}: moves the tenant to a plan, in API Gateway first; a change is recorded as tenant.updated. */
export const handler = httpHandler(async (event) => {
  const { tenantId, input, caller } = commandRequestOf(event, { schema: setPlanBodySchema });
  return json(200, await tenants.setPlan(tenantId, input, caller));
});
