/**
 * `npm start`: the whole API on 127.0.0.1, on an embedded DynamoDB, with the
 * deployed handlers and authorizer behind a local stand-in for API Gateway.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_BODY_BYTES } from '../lambdas/shared/http';
import { ROUTES } from '../src/routes';
import { ensureTable } from '../src/store/ensure-table';
import { resolveAdminCredentials } from './admin-credentials';
import { AuthorizerCache } from './authorizer-cache';
import { AuthorizerRunner } from './authorizer-runner';
import { banner } from './banner';
import { createControlPlane, isFlushRequest } from './control-plane';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb';
import { createGateway } from './gateway';
import { loadHandlerModules } from './handler-modules';
import { createRequestListener } from './http-listener';
import type { GatewayRequest } from './http-request';
import { fallbackSdkCredentials, lambdaEnvironment } from './lambda-environment';
import { ConfigError, type LocalConfig, readLocalConfig } from './local-config';
import { localStage } from './stage';

/** How long a stop waits for requests in flight before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

async function openDatabase(config: LocalConfig): Promise<EmbeddedDynamoDb & { description: string }> {
  if (config.dynamoDbEndpoint) {
    return { endpoint: config.dynamoDbEndpoint, close: async () => {}, description: `DYNAMODB_ENDPOINT ${config.dynamoDbEndpoint}` };
  }
  const path = join(config.dataDir, 'dynamodb');
  await mkdir(path, { recursive: true });
  return { ...(await startEmbeddedDynamoDb({ path })), description: `embedded, data in ${path}` };
}

async function createTableIfMissing(tableName: string): Promise<void> {
  const client = new DynamoDBClient({});
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
}

async function main(): Promise<void> {
  const config = readLocalConfig(process.env);
  const admin = await resolveAdminCredentials(config.adminCredentials, config.dataDir);
  const stage = localStage(config.region);
  const database = await openDatabase(config);
  try {
    Object.assign(process.env, fallbackSdkCredentials(process.env), lambdaEnvironment(config, stage, database.endpoint));
    await createTableIfMissing(config.tableName);
  } catch (error) {
    await database.close();
    throw error;
  }

  const modules = loadHandlerModules();
  const cache = new AuthorizerCache(config.authorizerCacheTtlSeconds);
  const gateway = createGateway({
    routes: ROUTES,
    handlers: modules.handlers,
    authorizer: new AuthorizerRunner(modules.authorizer, cache),
    stage,
    adminCredentials: admin,
  });
  const sdk = new APIGatewayClient({});
  const controlPlane = createControlPlane({ stage, sdkCredentials: () => sdk.config.credentials(), flushAuthorizerCache: () => cache.flush() });
  let stopping = false;
  const dispatch = (request: GatewayRequest) => (isFlushRequest(request) ? controlPlane(request) : gateway(request));
  const server = createServer(createRequestListener(dispatch, { maxBodyBytes: MAX_BODY_BYTES, stopping: () => stopping }));

  try {
    server.listen(config.port, '127.0.0.1');
    await once(server, 'listening');
  } catch (error) {
    await database.close();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Known only now that the port is; handlers build their API Gateway client on first use, so this is in time.
  process.env.AWS_ENDPOINT_URL_API_GATEWAY = baseUrl;
  console.log(banner({ baseUrl, config, admin, dynamoDb: database.description }));

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing requests in flight, then stopping`);
    stopGracefully(server, database).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Could not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** Stops accepting, lets requests in flight finish (within a grace period), then closes the store, flushing it to disk. */
async function stopGracefully(server: Server, database: EmbeddedDynamoDb): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  const cutOff = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  await closed;
  clearTimeout(cutOff);
  await database.close();
  console.log('Stopped');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});
