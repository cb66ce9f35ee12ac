import { IDEMPOTENCY_KEY_HEADER } from '../src/http-headers';
import { callerOf, header, httpHandler, json, readJsonBody, requestPath, tenantOf } from './shared/http';
import { issuingKeyServiceFromEnvironment } from './shared/issuing-key-service';

const keys = issuingKeyServiceFromEnvironment();

/**
 * POST /tenants/{tenantId}/keys and POST /keys: the only response that shows the new secret.
 * With an Idempotency-Key, a repeat of the same request answers 200 and the key it made, without its secret.
 */
export const handler = httpHandler(async (event) => {
  const idempotencyKey = header(event, IDEMPOTENCY_KEY_HEADER);
  const [tenantId, body, caller] = [tenantOf(event), readJsonBody(event), callerOf(event)];
  const outcome =
    idempotencyKey === undefined
      ? { replayed: false as const, key: await keys.create(tenantId, body, caller) }
      : await keys.createOnce(tenantId, body, caller, idempotencyKey);
  const location = { Location: `${requestPath(event)}/${outcome.key.id}` };
  return outcome.replayed
    ? json(200, outcome.key, { ...location, 'Idempotent-Replayed': 'true' })
    : json(201, outcome.key, location);
});
