import { deleteKey } from '../src/domain/key-commands/delete-key';
import { commandRequestOf } from './shared/command-request';
import { httpHandler, noContent } from './shared/http';
import { keyServiceFromEnvironment } from './shared/key-commands';

const keys = keyServiceFromEnvironment();

/** DELETE /tenants/{tenantId}/keys/{keyId} and DELETE /keys/{keyId}. */
export const handler = httpHandler(async (event) => {
  await keys.run(deleteKey, commandRequestOf(event));
  return noContent();
});
