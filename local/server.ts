/**
 * `npm start`: the whole API on 127.0.0.1, on an embedded DynamoDB, with the
 * deployed handlers and authorizer behind a local stand-in for API Gateway.
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { buildConsoleAssets } from '../src/console-bundle';
import { ROUTES } from '../src/routes';
import { ensureTable } from '../src/store/ensure-table';
import { createKeyTableInput, createTenantTableInput } from '../src/store/table-schema';
import { createAuthorizerResultCache } from './apigateway/authorizer-result-cache';
import { createAuthorizerRunner } from './apigateway/authorizer-runner';
import { createGateway } from './apigateway/gateway';
import type { HttpResponse } from './apigateway/responses';
import { localStage } from './apigateway/stage';
import { createApiGatewayManagement, isFlushRequest } from './aws/apigateway-management';
import { createScheduler, isSchedulerRequest, type LocalScheduler } from './aws/scheduler';
import { resolveAdminCredentials } from './boot/admin-credentials';
import { banner } from './boot/banner';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './boot/embedded-dynamodb';
import { loadHandlerModules } from './boot/handler-modules';
import {
  FLUSH_SCHEDULE_GROUP,
  fallbackSdkCredentials,
  functionEnvironment,
  type LocalConsole,
  sdkEnvironment,
} from './boot/lambda-environment';
import { ConfigError, type LocalConfig, readLocalConfig } from './boot/local-config';
import { createRequestListener } from './http/http-listener';
import type { GatewayRequest } from './http/http-request';
import { type OpenIdProvider, startOpenIdProvider } from './openid/provider';

// On Node 20 the SDK announces that its releases from 2027 will need Node 22. The
// lockfile pins this release, so for `npm start` that notice is only noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** How long a stop waits for requests in flight before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;
/**
 * The most of a request body held in memory. Up to this, a body reaches the
 * handlers, which answer 413 past 10 KiB as deployed; past it the gateway still
 * authenticates the caller, then answers 413 itself.
 */
const MAX_BUFFERED_BODY_BYTES = 1024 * 1024;

type Dispatch = (request: GatewayRequest) => Promise<HttpResponse>;

/** The console's client at the local OpenID provider. */
const CONSOLE_CLIENT_ID = 'api-key-console';

async function openDatabase(config: LocalConfig): Promise<EmbeddedDynamoDb & { description: string }> {
  if (config.dynamoDbEndpoint) {
    return {
      endpoint: config.dynamoDbEndpoint,
      close: async () => {},
      description: `DYNAMODB_ENDPOINT ${config.dynamoDbEndpoint}`,
    };
  }
  const path = join(config.dataDir, 'dynamodb');
  await mkdir(path, { recursive: true });
  return { ...(await startEmbeddedDynamoDb({ path })), description: `embedded, data in ${path}` };
}

async function createTablesIfMissing(config: LocalConfig): Promise<void> {
  const client = new DynamoDBClient({});
  try {
    await ensureTable(client, createKeyTableInput(config.tableName));
    await ensureTable(client, createTenantTableInput(config.tenantTableName));
  } finally {
    client.destroy();
  }
}

async function main(): Promise<void> {
  const config = readLocalConfig(process.env);
  const admin = await resolveAdminCredentials(config.adminCredentials, config.dataDir);
  const stage = localStage(config.region);
  const database = await openDatabase(config);

  // Listen first: the handlers' SDK clients must be pointed at this server's address before they load.
  // A request that comes in meanwhile waits until everything is ready.
  let becomeReady!: (dispatch: Dispatch) => void;
  const ready = new Promise<Dispatch>((resolve) => (becomeReady = resolve));
  let stopping = false;
  const server = createServer(
    createRequestListener(async (request) => (await ready)(request), {
      maxBodyBytes: MAX_BUFFERED_BODY_BYTES,
      stopping: () => stopping,
    }),
  );
  try {
    server.listen(config.port, '127.0.0.1');
    await once(server, 'listening');
  } catch (error) {
    await database.close();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    Object.assign(
      process.env,
      fallbackSdkCredentials(process.env),
      sdkEnvironment(config, { dynamoDb: database.endpoint, server: baseUrl }),
    );
    await createTablesIfMissing(config);
  } catch (error) {
    server.close();
    await database.close();
    throw error;
  }
  const consoleUrl = `${baseUrl}/console`;
  let openId: OpenIdProvider;
  let localConsole: LocalConsole;
  try {
    openId = await startOpenIdProvider({
      port: config.console.openIdPort,
      users: config.console.users,
      clientId: CONSOLE_CLIENT_ID,
      redirectUri: consoleUrl,
      tenantClaim: config.console.tenantClaim,
    });
    // Built afresh at each start, from the sources, as the construct builds it into the deployed function;
    // a build is no data, so it lives outside DATA_DIR and goes when the server stops.
    const assetsDirectory = await mkdtemp(join(tmpdir(), 'api-key-console-'));
    buildConsoleAssets(assetsDirectory);
    localConsole = { issuer: openId.issuer, clientId: CONSOLE_CLIENT_ID, assetsDirectory };
  } catch (error) {
    server.close();
    await database.close();
    throw error;
  }

  const modules = loadHandlerModules((definition) => functionEnvironment(definition, config, stage, localConsole));
  const cache = createAuthorizerResultCache(config.authorizerCacheTtlSeconds);
  const gateway = createGateway({
    routes: ROUTES,
    handlers: modules.handlers,
    authorizer: createAuthorizerRunner(modules.authorizer, cache),
    // As deployed, the console's authorizer caches nothing: a cached answer would outlive the token.
    jwtAuthorizer: createAuthorizerRunner(modules.jwtAuthorizer, createAuthorizerResultCache(0)),
    stage,
    adminCredentials: admin,
  });
  const sdk = new APIGatewayClient({});
  const sdkCredentials = () => sdk.config.credentials();
  const flushAuthorizerCache = () => cache.flush();
  const apiGatewayManagement = createApiGatewayManagement({ stage, sdkCredentials, flushAuthorizerCache });
  const scheduler = createScheduler({ stage, groupName: FLUSH_SCHEDULE_GROUP, sdkCredentials, flushAuthorizerCache });
  becomeReady((request) => {
    if (isFlushRequest(request)) return apiGatewayManagement(request);
    if (isSchedulerRequest(request)) return scheduler.handle(request);
    return gateway(request);
  });
  console.log(banner({ baseUrl, config, admin, dynamoDb: database.description, consoleUrl, issuer: openId.issuer }));

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing requests in flight, then stopping`);
    stopGracefully(server, database, scheduler, openId)
      .then(() => rm(localConsole.assetsDirectory, { recursive: true, force: true }))
      .then(
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
async function stopGracefully(
  server: Server,
  database: EmbeddedDynamoDb,
  scheduler: LocalScheduler,
  openId: OpenIdProvider,
): Promise<void> {
  scheduler.close();
  await openId.close();
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
