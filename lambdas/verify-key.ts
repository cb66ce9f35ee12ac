import { keyCheckOf, parseKeyCheckRequest } from '../src/domain/key-check';
import { KeyVerifier } from '../src/domain/key-verification';
import { httpHandler, json, readJsonBody } from './shared/http-handler';
import { keyReadsFromEnvironment } from './shared/key-reads';
import { recordUseInTime } from './shared/record-use';
import { verificationMetrics } from './shared/verification-metrics';

const verifier = new KeyVerifier({ store: keyReadsFromEnvironment() });
const metrics = verificationMetrics('Verify');

/**
 * POST /verify: the authorizer's verdict for backends not behind API Gateway.
 * It never echoes the key, and records a valid key's use as the authorizer does.
 * Like the authorizer, it loads neither the AWS SDK nor Powertools.
 */
export const handler = httpHandler(async (event, context) => {
  const request = parseKeyCheckRequest(readJsonBody(event));
  const refusal = verifier.refusalBeforeReading(request.key);
  if (refusal !== undefined) {
    metrics.record(refusal);
    return json(200, keyCheckOf({ outcome: refusal }));
  }
  const startedAt = performance.now();
  let verification: Awaited<ReturnType<KeyVerifier['lookUp']>>;
  try {
    verification = await verifier.lookUp(request.key);
  } catch (error) {
    metrics.record('storeError', performance.now() - startedAt);
    throw error;
  }
  const check = keyCheckOf(verification, request.scope);
  // A valid key refused only for the scope asked about.
  const outcome = verification.outcome === 'valid' && !check.valid ? 'insufficientScope' : verification.outcome;
  metrics.record(outcome, performance.now() - startedAt);
  if (verification.outcome === 'valid') await recordUseInTime(verifier, verification.key, context);
  return json(200, check);
});
