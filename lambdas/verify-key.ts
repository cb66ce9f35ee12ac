import { keyCheckOf, parseKeyCheckRequest } from '../src/domain/key-check';
import { KeyVerifier } from '../src/domain/key-verification';
import { httpHandler, json, readJsonBody } from './shared/http';
import { keyStoreFromEnvironment } from './shared/key-store';
import { recordUseInTime } from './shared/record-use';
import { verificationMetrics } from './shared/verification-metrics';

const verifier = new KeyVerifier({ store: keyStoreFromEnvironment() });
const metrics = verificationMetrics('Verify');

/**
 * POST /verify: the authorizer's verdict for backends not behind API Gateway.
 * It never echoes the key, and records a valid key's use as the authorizer does.
 */
export const handler = httpHandler(async (event, context) => {
  const request = parseKeyCheckRequest(readJsonBody(event));
  const startedAt = performance.now();
  let verification: Awaited<ReturnType<KeyVerifier['verify']>>;
  try {
    verification = await verifier.verify(request.key);
  } catch (error) {
    metrics.publish('storeError', startedAt);
    throw error;
  }
  const check = keyCheckOf(verification, request.scope);
  // A valid key refused only for the scope asked about.
  metrics.publish(verification.outcome === 'valid' && !check.valid ? 'insufficientScope' : verification.outcome, startedAt);
  if (verification.outcome === 'valid') await recordUseInTime(verifier, verification.key, context);
  return json(200, check);
});
