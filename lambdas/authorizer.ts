import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { policyFor } from '../src/authorizer-policy';
import { ENV } from '../src/config';
import type { KeyRecord } from '../src/domain/api-key';
import { errorKind, keyService, logger } from './shared/runtime';

/** API Gateway answers 401 (gateway response UNAUTHORIZED) for exactly this message. */
const UNAUTHORIZED = 'Unauthorized';

/**
 * The most the lastUsedAt write may delay an answer. It is bookkeeping: a slow
 * write is abandoned rather than allowed to push a valid key past the timeout.
 */
export const RECORD_USE_BUDGET_MS = 500;
/** Time kept back for returning the answer once the write is abandoned. */
const REPLY_MARGIN_MS = 100;

/** Records the key's use, giving up when `budgetMs` runs out; never throws. */
async function recordUseWithin(record: KeyRecord, budgetMs: number): Promise<void> {
  if (budgetMs <= 0) return;
  const signal = AbortSignal.timeout(budgetMs);
  const abandoned = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  try {
    await Promise.race([keyService().recordUse(record, signal), abandoned]);
  } catch (error) {
    logger.warn('Could not record key use', { keyId: record.keyId, error: errorKind(error) });
  }
}

/**
 * The request's x-api-key, in any casing. Two different values are treated as
 * no key: API Gateway caches on one of them, and it must be the one checked.
 */
function apiKeyHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'x-api-key' && value) values.add(value);
  }
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'x-api-key') for (const value of list ?? []) if (value) values.add(value);
  }
  return values.size === 1 ? [...values][0] : undefined;
}

/**
 * The x-api-key REQUEST authorizer. Missing, malformed, unknown, disabled and
 * expired keys all get the same 401; if the table cannot be read it fails closed.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent, context?: Context): Promise<APIGatewayAuthorizerResult> {
  const service = keyService();
  let record: KeyRecord | undefined;
  try {
    record = await service.authenticate(apiKeyHeader(event));
  } catch (error) {
    logger.error('Key lookup failed; denying', { error: errorKind(error) });
    // Any other message is an authorizer failure, which the gateway turns into a 503.
    throw new Error('Key lookup failed');
  }
  if (!record) throw new Error(UNAUTHORIZED);

  // Recorded for every authentication, whatever route was asked for: API Gateway
  // reuses this answer for all of the stage's routes until the cache expires.
  const remainingMs = context ? context.getRemainingTimeInMillis() - REPLY_MARGIN_MS : RECORD_USE_BUDGET_MS;
  await recordUseWithin(record, Math.min(RECORD_USE_BUDGET_MS, remainingMs));

  return {
    principalId: record.keyId,
    policyDocument: policyFor(event.methodArn, record, process.env[ENV.restApiId] || undefined),
    context: {
      tenantId: record.tenantId,
      keyId: record.keyId,
      keyName: record.name,
      scopes: record.scopes.join(' '),
    },
  };
}
