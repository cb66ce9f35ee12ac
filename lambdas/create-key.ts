import { createKey } from '../src/domain/key-commands/create-key';
import { createKeyBodySchema } from '../src/domain/validation';
import { IDEMPOTENCY_KEY_HEADER } from '../src/http-headers';
import { commandRequestOf } from './shared/command-request';
import { header, httpHandler, json, requestPath } from './shared/http';
import { issuingKeyServiceFromEnvironment } from './shared/key-commands';

const keys = issuingKeyServiceFromEnvironment();

/**
 * POST /tenants/{tenantId}/keys and POST /keys: the only response that shows the new secret.
 * With an Idempotency-Key, a repeat of the same request answers 200 and the key it made, without its secret.
 */
export const handler = httpHandler(async (event) => {
  const request = commandRequestOf(event, { schema: createKeyBodySchema });
  const outcome = await keys.issue(createKey, request, header(event, IDEMPOTENCY_KEY_HEADER));
  const location = { Location: `${requestPath(event)}/${outcome.key.id}` };
  return outcome.replayed
    ? json(200, outcome.key, { ...location, 'Idempotent-Replayed': 'true' })
    : json(201, outcome.key, location);
});
