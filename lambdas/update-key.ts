import { updateKey } from '../src/domain/key-commands/update-key';
import { updateKeyBodySchema } from '../src/domain/validation';
import { commandRequestOf } from './shared/command-request';
import { httpHandler, json } from './shared/http';
import { keyServiceFromEnvironment } from './shared/key-commands';

const keys = keyServiceFromEnvironment();

/** PATCH /tenants/{tenantId}/keys/{keyId} and PATCH /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  return json(200, await keys.run(updateKey, commandRequestOf(event, { schema: updateKeyBodySchema })));
});
