import { IDEMPOTENCY_KEY_HEADER } from '../src/http-headers';
import { callerOf, header, httpHandler, json, keyIdOf, readJsonBody, requestPath, tenantOf } from './shared/http';
import { issuingKeyServiceFromEnvironment } from './shared/issuing-key-service';

const keys = issuingKeyServiceFromEnvironment();

/**
 * POST /tenants/{tenantId}/keys/{keyId}/rotate and POST /keys/{keyId}/rotate.
 * With an Idempotency-Key, a repeat of the same request answers 200 and the replacement it made, without its secret.
 */
export const handler = httpHandler(async (event) => {
  const idempotencyKey = header(event, IDEMPOTENCY_KEY_HEADER);
  const [tenantId, keyId, body, caller] = [tenantOf(event), keyIdOf(event), readJsonBody(event, {}), callerOf(event)];
  const outcome =
    idempotencyKey === undefined
      ? { replayed: false as const, key: await keys.rotate(tenantId, keyId, body, caller) }
      : await keys.rotateOnce(tenantId, keyId, body, caller, idempotencyKey);
  const location = { Location: requestPath(event).replace(/\/[^/]+\/rotate$/, `/${outcome.key.id}`) };
  return outcome.replayed
    ? json(200, outcome.key, { ...location, 'Idempotent-Replayed': 'true' })
    : json(201, outcome.key, location);
});
