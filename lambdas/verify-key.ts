import { keyCheckOf, parseKeyCheckRequest } from '../src/domain/key-check';
import { KeyVerifier } from '../src/domain/key-verification';
import { httpHandler, json, readJsonBody } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';
import { recordUseInTime } from './shared/record-use';

const verifier = new KeyVerifier({ store: keyStoreFromEnvironment() });

/**
 * POST /verify: the authorizer's verdict for backends not behind API Gateway.
 * It never echoes the key, and records a valid key's use as the authorizer does.
 */
export const handler = httpHandler(async (event, context) => {
  const request = parseKeyCheckRequest(readJsonBody(event));
  const verification = await verifier.verify(request.key);
  if (verification.outcome === 'valid') await recordUseInTime(verifier, verification.key, context);
  return json(200, keyCheckOf(verification, request.scope));
});
