import { parseRevocationRequest, revokeBySecret } from '../src/domain/leaked-keys';
import { httpHandler, json, originOf, readJsonBody } from './shared/http';
import { revokingKeyServiceFromEnvironment } from './shared/key-commands';

const keys = revokingKeyServiceFromEnvironment();

/**
 * POST /revoke, open to anyone: the key in the body is revoked if it is one of
 * this service's, by its holder. Every well-formed key gets the same 202
 * (src/domain/leaked-keys.ts); a malformed one a 400, with no read.
 */
export const handler = httpHandler(async (event) => {
  const key = parseRevocationRequest(readJsonBody(event));
  return json(202, await revokeBySecret(keys, key, { kind: 'holder', origin: originOf(event) }));
});
