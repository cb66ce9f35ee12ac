import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { ENV } from '../../src/config';
import { logger } from './runtime';

let client: APIGatewayClient | undefined;

/**
 * Flushes the stage's cached authorizer results, so a revoked key stops working
 * now rather than after the cache TTL. Best effort: the revocation itself has
 * already been written, so a failure here is logged, not returned.
 */
export async function flushAuthorizerCache(): Promise<void> {
  const restApiId = process.env[ENV.restApiId];
  const stageName = process.env[ENV.stageName];
  if (!restApiId || !stageName) {
    logger.warn('Authorizer cache not flushed: REST_API_ID or STAGE_NAME is not set');
    return;
  }
  try {
    // Bounded like the DynamoDB calls, so a stuck flush cannot run the handler into its timeout.
    client ??= new APIGatewayClient({
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
    });
    await client.send(new FlushStageAuthorizersCacheCommand({ restApiId, stageName }));
  } catch (error) {
    logger.warn('Authorizer cache flush failed', { error: error instanceof Error ? error.name : String(error) });
  }
}
