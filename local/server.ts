/**
 * `npm start`: the whole API on 127.0.0.1, on an embedded DynamoDB, with the
 * deployed handlers and authorizer behind a local stand-in for API Gateway.
 */
import '../src/node-version';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_MAX_BODY_BYTES } from '../src/body-limits';
import { buildConsoleAssets } from '../src/console-bundle';
import { OPERATIONS, ROUTES } from '../src/routes';
import { ensureTable } from '../src/store/ensure-table';
import {
  createKeyTableInput,
  createTenantTableInput,
  KEY_TABLE,
  TENANT_TABLE,
  WAITING_RECORDS_FILTER,
} from '../src/store/table-schema';
import type { HttpResponse } from './apigateway/responses';
import { localStage } from './apigateway/stage';
import { createUsagePlans, type UsagePlans, UsagePlansFileError } from './apigateway/usage-plans';
import { createDynamoDbEndpoint, isDynamoDbRequest } from './aws/dynamodb';
import { watchDynamoDbWrites } from './aws/dynamodb-writes';
import { type AdminCredentials, resolveAdminCredentials } from './boot/admin-credentials';
import { banner } from './boot/banner';
import { type DataDirLock, ensureDataDir, lockDataDir, makeDataDirPrivate } from './boot/data-dir';
import { type EmbeddedDynamoDb, openEmbeddedDynamoDb } from './boot/embedded-dynamodb';
import { type EmulatedAws, startEmulatedAws } from './boot/emulated-aws';
import { loadHandlerModules } from './boot/handler-modules';
import {
  credentialsEnvironment,
  fallbackSdkCredentials,
  functionEnvironment,
  type LocalConsole,
  metricsEnvironment,
  sdkEnvironment,
} from './boot/lambda-environment';
import { createLocalApis } from './boot/local-apis';
import { ConfigError, type LocalConfig, readLocalConfig } from './boot/local-config';
import { StartupError } from './boot/startup-error';
import { createRequestListener } from './http/http-listener';
import type { GatewayRequest } from './http/http-request';
import { createLocalHttpServer, listenOnLoopback } from './http/http-server';
import { localProblemResponse } from './http/local-problems';
import { type RequestsInFlight, trackRequestsInFlight } from './http/requests-in-flight';
import { startDynamoDbStreamSource } from './lambda/dynamodb-stream-source';
import type { OpenIdProvider } from './openid/provider';

/** How long a stop waits for requests in flight before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;
/**
 * The most of a request body held in memory: the largest any route takes (the
 * route table's). Up to this, a body reaches the handlers, which answer 413 past
 * their route's limit as deployed; past it the gateway still authenticates the
 * caller, then answers 413 itself.
 */
const MAX_BUFFERED_BODY_BYTES = Math.max(
  DEFAULT_MAX_BODY_BYTES,
  ...ROUTES.map((route) => OPERATIONS[route.handler].body?.maxBytes ?? DEFAULT_MAX_BODY_BYTES),
);

type Dispatch = (request: GatewayRequest) => Promise<HttpResponse>;

/** As the stack schedules the sweeper: every five minutes; and once at start, for what a previous run left. */
const AUDIT_SWEEP_INTERVAL_MS = 5 * 60 * 1000;
/**
 * How soon the change feed that stands in for the tables' streams looks after a write this process
 * made, or again after a look that found records: the least time between two of its looks.
 */
const CHANGE_FEED_INTERVAL_MS = 250;
/** How long it waits after a look that found nothing: what another process's writes to DYNAMODB_ENDPOINT may wait. */
const CHANGE_FEED_IDLE_INTERVAL_MS = 5000;
/** The reconciler's timeout as deployed: what its Lambda context says it has left when it starts. */
const RECONCILER_TIMEOUT_MS = 4 * 60 * 1000;

/** The console's client at the local OpenID provider. */
const CONSOLE_CLIENT_ID = 'api-key-console';

interface Database {
  /** Where the handlers' SDK finds DynamoDB: DYNAMODB_ENDPOINT, or this server, which serves the embedded one. */
  endpoint(serverUrl: string): string;
  /** The embedded store, if that is the one in use. */
  embedded?: EmbeddedDynamoDb;
  close(): Promise<void>;
  description: string;
}

async function openDatabase(config: LocalConfig): Promise<Database> {
  const external = config.dynamoDbEndpoint;
  if (external) return { endpoint: () => external, close: async () => {}, description: `DYNAMODB_ENDPOINT ${external}` };
  const path = join(config.dataDir, 'dynamodb');
  await mkdir(path, { recursive: true, mode: 0o700 });
  const embedded = await openEmbeddedDynamoDb({ path });
  return {
    endpoint: (serverUrl) => serverUrl,
    embedded,
    close: () => embedded.close(),
    description: `embedded in this process (no port of its own), data in ${path}`,
  };
}

/** Whether this configuration keeps anything in DATA_DIR: the embedded store, or admin credentials made for it. */
const usesDataDir = (config: LocalConfig) => config.dynamoDbEndpoint === undefined || config.adminCredentials === undefined;

/**
 * DATA_DIR, made or checked, taken for this process, and private to this user
 * (it says so when it had to be made private); then the admin credentials and
 * the store. On a failure, what was opened is closed again.
 */
async function openStorage(config: LocalConfig): Promise<{ lock?: DataDirLock; admin: AdminCredentials; database: Database }> {
  let lock: DataDirLock | undefined;
  if (usesDataDir(config)) {
    await ensureDataDir(config.dataDir);
    lock = await lockDataDir(config.dataDir);
  }
  try {
    if (lock && (await makeDataDirPrivate(config.dataDir))) {
      console.log(`Made ${config.dataDir} private to you: other users could read or change it, or files in it.`);
    }
    const admin = await resolveAdminCredentials(config.adminCredentials, config.dataDir);
    return { lock, admin, database: await openDatabase(config) };
  } catch (error) {
    lock?.release();
    throw error;
  }
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

/** In DATA_DIR: the emulated API Gateway's API keys and which usage plan each is in. */
const API_KEYS_FILE = 'api-gateway-keys.json';

/**
 * The usage plans of PLANS_FILE or config/plans.json, with the API keys and
 * memberships kept in DATA_DIR when it is in use (in memory otherwise).
 */
function openUsagePlans(config: LocalConfig, keepsDataDir: boolean): UsagePlans {
  try {
    return createUsagePlans({
      declaration: config.plans,
      ...(keepsDataDir ? { file: join(config.dataDir, API_KEYS_FILE) } : {}),
      warn: (message) => console.warn(`Warning: ${message}`),
    });
  } catch (error) {
    if (error instanceof UsagePlansFileError) throw new StartupError(error.message);
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readLocalConfig(process.env);
  // Whatever this process creates (the store's files, credentials) is for this user alone.
  process.umask(0o077);
  const stage = localStage(config.region);

  // Listen first: a port that is taken stops the start before anything is made, and the handlers'
  // SDK clients must be pointed at this server's address before they load. A request that comes in
  // meanwhile waits until everything is ready, except the embedded DynamoDB's, which creating the table needs.
  let becomeReady!: (dispatch: Dispatch) => void;
  const ready = new Promise<Dispatch>((resolve) => (becomeReady = resolve));
  let dynamoDb: Dispatch | undefined;
  let stoppedAt: Date | undefined;
  const stopping = () => stoppedAt !== undefined;
  const server = createLocalHttpServer(
    createRequestListener(
      async (request) => (dynamoDb && isDynamoDbRequest(request) ? dynamoDb(request) : (await ready)(request)),
      { maxBodyBytes: MAX_BUFFERED_BODY_BYTES, stopping },
    ),
  );
  const requestsInFlight = trackRequestsInFlight(server);
  await listenOnLoopback(server, config.port);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let storage: Awaited<ReturnType<typeof openStorage>>;
  try {
    storage = await openStorage(config);
  } catch (error) {
    server.close();
    throw error;
  }
  const { lock, admin, database } = storage;
  Object.assign(
    process.env,
    fallbackSdkCredentials(process.env),
    metricsEnvironment(process.env),
    sdkEnvironment(config, { dynamoDb: database.endpoint(baseUrl), server: baseUrl }),
  );
  // Resolves the credentials the handlers' SDK clients sign with, from the same environment as theirs.
  const sdk = new APIGatewayClient({});
  const sdkCredentials = () => sdk.config.credentials();
  try {
    if (database.embedded) {
      dynamoDb = createDynamoDbEndpoint({ region: config.region, sdkCredentials, database: database.embedded });
    }
    await createTablesIfMissing(config);
  } catch (error) {
    server.close();
    await database.close();
    lock?.release();
    throw error;
  }

  const consoleUrl = `${baseUrl}/console`;
  let openId: OpenIdProvider;
  let localConsole: LocalConsole;
  try {
    // Loaded only now, once the start can no longer be refused in one line.
    const { startOpenIdProvider } = await import('./openid/provider');
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
    lock?.release();
    throw error;
  }

  let usagePlans: UsagePlans;
  let smallClientCredentials: Record<string, string>;
  try {
    usagePlans = openUsagePlans(config, lock !== undefined);
    smallClientCredentials = process.env.AWS_ACCESS_KEY_ID ? {} : credentialsEnvironment(await sdkCredentials());
  } catch (error) {
    server.close();
    await database.close();
    lock?.release();
    throw error;
  }
  const modules = loadHandlerModules((definition) =>
    functionEnvironment(definition, config, stage, {
      server: baseUrl,
      console: localConsole,
      usagePlans: usagePlans.environment,
      smallClientCredentials,
    }),
  );
  const apis = createLocalApis({
    region: config.region,
    modules,
    authorizerCacheTtlSeconds: config.authorizerCacheTtlSeconds,
    adminCredentials: admin,
    usagePlans,
  });
  const aws = startEmulatedAws({
    stage,
    server: baseUrl,
    stages: apis.stages,
    usagePlans,
    flusher: modules.flusher,
    expiryWarner: modules.expiryWarner,
    sdkCredentials,
    eventsFile: join(config.dataDir, 'events.jsonl'),
  });
  becomeReady(async (request) => {
    const served = aws.dispatch(request);
    if (served) return served;
    // Requests in flight still run, and their handlers' AWS calls above are served; new ones are turned away.
    if (stoppedAt !== undefined && request.receivedAt > stoppedAt) return localProblemResponse('stopping');
    return apis.dispatch(request);
  });
  // The scheduled functions log their own failures; their next run retries. One run of each at a time.
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = modules.auditSweeper().catch(() => undefined);
  };
  sweep();
  const sweeps = setInterval(sweep, AUDIT_SWEEP_INTERVAL_MS);
  const streamArn = (tableName: string) => `arn:aws:dynamodb:${stage.region}:${stage.accountId}:table/${tableName}/stream/local`;
  const changeFeed = startDynamoDbStreamSource({
    client: new DynamoDBClient({}),
    tables: [
      {
        tableName: config.tableName,
        keyAttributes: [KEY_TABLE.partitionKey],
        pendingIndex: KEY_TABLE.pendingAuditIndex.name,
        streamArn: streamArn(config.tableName),
      },
      {
        tableName: config.tenantTableName,
        keyAttributes: [TENANT_TABLE.partitionKey, TENANT_TABLE.sortKey],
        pendingIndex: TENANT_TABLE.pendingAuditIndex.name,
        streamArn: streamArn(config.tenantTableName),
      },
    ],
    handler: modules.auditDelivery,
    filter: WAITING_RECORDS_FILTER,
    intervalMs: CHANGE_FEED_INTERVAL_MS,
    idleIntervalMs: CHANGE_FEED_IDLE_INTERVAL_MS,
    region: stage.region,
    onError: (error) => console.error('The audit delivery failed; its records wait for the next look:', error),
  });
  const stopWatchingWrites = watchDynamoDbWrites(changeFeed.tablesChanged);
  let reconciling: Promise<unknown> = Promise.resolve();
  const reconcile = () => {
    const deadline = Date.now() + RECONCILER_TIMEOUT_MS;
    reconciling = reconciling
      .then(() => modules.usagePlanReconciler({}, { getRemainingTimeInMillis: () => deadline - Date.now() }))
      .catch(() => undefined);
  };
  // Once at start too, as the sweeper: for what was lost while local mode was stopped.
  reconcile();
  const reconciles = setInterval(reconcile, config.reconcileIntervalSeconds * 1000);

  const stop = (signal: NodeJS.Signals) => {
    if (stopping()) return;
    stoppedAt = new Date();
    clearInterval(sweeps);
    clearInterval(reconciles);
    stopWatchingWrites();
    console.log(`${signal}: finishing requests in flight, then stopping`);
    // Runs in progress finish first: their calls reach the store and the emulated AWS APIs through this server.
    Promise.all([sweeping, reconciling, changeFeed.close()])
      .then(() => stopGracefully(server, requestsInFlight, database, aws, openId))
      .then(() => rm(localConsole.assetsDirectory, { recursive: true, force: true }))
      .then(
        () => {
          lock?.release();
          process.exit(0);
        },
        (error: unknown) => {
          console.error('Could not stop cleanly:', error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Ready only now: a signal sent on seeing the banner must find its handler, not Node's default exit.
  console.log(banner({ baseUrl, config, admin, dynamoDb: database.description, consoleUrl, issuer: openId.issuer, usagePlans }));
}

/**
 * Lets requests in flight finish (within a grace period), then stops listening and
 * closes the store, flushing it to disk. The server listens until then, since the
 * handlers those requests run reach DynamoDB and the other AWS APIs through it.
 */
async function stopGracefully(
  server: Server,
  requestsInFlight: RequestsInFlight,
  database: Database,
  aws: EmulatedAws,
  openId: OpenIdProvider,
): Promise<void> {
  await aws.close();
  await openId.close();
  let cutOff: NodeJS.Timeout | undefined;
  await Promise.race([requestsInFlight.drained(), new Promise((resolve) => (cutOff = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
  clearTimeout(cutOff);
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
  await database.close();
  console.log('Stopped');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
  else if (error instanceof StartupError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
