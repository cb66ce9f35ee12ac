import { revokeKey } from '../src/domain/key-commands/revoke-key';
import { revokeKeyBodySchema } from '../src/domain/validation';
import { commandRequestOf } from './shared/command-request';
import { httpHandler, json } from './shared/http';
import { revokingKeyServiceFromEnvironment } from './shared/key-commands';

const keys = revokingKeyServiceFromEnvironment();

/** POST /tenants/{tenantId}/keys/{keyId}/revoke, POST /keys/{keyId}/revoke and the console's: the key, revoked. */
export const handler = httpHandler(async (event) => {
  return json(200, await keys.run(revokeKey, commandRequestOf(event, { schema: revokeKeyBodySchema, emptyAs: {} })));
});
