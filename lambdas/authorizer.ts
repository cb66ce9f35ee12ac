import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { policyFor } from '../src/authorizer-policy';
import { ENV } from '../src/config';
import type { KeyRecord } from '../src/domain/api-key';
import { keyService, logger } from './shared/runtime';

/** API Gateway answers 401 (gateway response UNAUTHORIZED) for exactly this message. */
const UNAUTHORIZED = 'Unauthorized';

function apiKeyHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'x-api-key' && value) return value;
  }
  return undefined;
}

/**
 * The x-api-key REQUEST authorizer. Missing, malformed, unknown, disabled and
 * expired keys all get the same 401; if the table cannot be read it fails closed.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const service = keyService();
  let record: KeyRecord | undefined;
  try {
    record = await service.authenticate(apiKeyHeader(event));
  } catch (error) {
    logger.error('Key lookup failed; denying', { error: error instanceof Error ? error.name : String(error) });
    // Any other message is an authorizer failure, which the gateway turns into a 503.
    throw new Error('Key lookup failed');
  }
  if (!record) throw new Error(UNAUTHORIZED);

  try {
    await service.recordUse(record);
  } catch (error) {
    logger.warn('Could not record key use', { keyId: record.keyId, error: error instanceof Error ? error.name : String(error) });
  }

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
