import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { policyFor } from '../src/authorizer-policy';
import { ENV } from '../src/config';
import { KeyVerifier } from '../src/domain/key-verification';
import { API_KEY_HEADER } from '../src/http-headers';
import { keyStoreFromEnvironment } from './shared/key-store';
import { errorKind, logger } from './shared/logger';
import { recordUseInTime } from './shared/record-use';

/**
 * API Gateway answers 401 (gateway response UNAUTHORIZED) for exactly this message.
 * One instance serves every refusal: building an Error (its stack) is most of what a refusal costs.
 */
const UNAUTHORIZED = new Error('Unauthorized');
/** Any other failure: API Gateway answers AUTHORIZER_CONFIGURATION_ERROR, which the stack maps to 503. */
const LOOKUP_FAILED = new Error('Key lookup failed');

const verifier = new KeyVerifier({ store: keyStoreFromEnvironment() });
const serviceApiId = process.env[ENV.restApiId] || undefined;

/**
 * The request's x-api-key, in any casing: undefined when there is none, `null`
 * when it was sent with two different values. API Gateway caches on one of
 * them, and it must be the one checked.
 */
function apiKeyHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined | null {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === API_KEY_HEADER && value) values.add(value);
  }
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === API_KEY_HEADER) for (const value of list ?? []) if (value) values.add(value);
  }
  if (values.size > 1) return null;
  return values.size === 1 ? [...values][0] : undefined;
}

/**
 * The x-api-key REQUEST authorizer. Missing, malformed, unknown, disabled and
 * expired keys all get the same 401 (the log says which); if the table cannot
 * be read it fails closed.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent, context?: Context): Promise<APIGatewayAuthorizerResult> {
  const presented = apiKeyHeader(event);
  let verification: Awaited<ReturnType<KeyVerifier['verify']>>;
  try {
    verification = presented === null ? { outcome: 'malformed' } : await verifier.verify(presented);
  } catch (error) {
    logger.error('Key lookup failed; denying', { error: errorKind(error) });
    throw LOOKUP_FAILED;
  }
  if (verification.outcome !== 'valid') {
    logger.debug('Key refused', { outcome: verification.outcome });
    throw UNAUTHORIZED;
  }
  const record = verification.key;

  // Recorded for every authentication, whatever route was asked for: API Gateway
  // reuses this answer for all of the stage's routes until the cache expires.
  await recordUseInTime(verifier, record, context);

  return {
    principalId: record.keyId,
    policyDocument: policyFor(event.methodArn, record, serviceApiId),
    context: {
      tenantId: record.tenantId,
      keyId: record.keyId,
      keyName: record.name,
      scopes: record.scopes.join(' '),
      // Empty for a key that does not expire; self-service routes hold what a key grants to it.
      expiresAt: record.expiresAt ?? '',
    },
  };
}
