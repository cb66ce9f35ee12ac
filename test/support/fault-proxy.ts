import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const DYNALITE_PROCESS = resolve(__dirname, 'dynalite-process.ts');
const READY_LINE = /DynamoDB endpoint (http:\/\/\S+)/;
const DATABASE_START_TIMEOUT_MS = 30_000;

/** What DynamoDB answers a request over a table's provisioned throughput, as the AWS SDK reads it. */
const THROTTLING_ANSWER = {
  status: 400,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  }),
};

/** What DynamoDB answers when it fails on its side. */
const SERVER_ERROR_ANSWER = {
  status: 500,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }),
};

/** How far a request's X-Amz-Date may be from the server's clock: AWS refuses a signature older or newer. */
const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/**
 * What the database does to the requests it gets: answer them (`none`), answer
 * each `delayMs` late, having done the work on time (`slow`), refuse a
 * `fraction` of them, at random, with DynamoDB's throttling error
 * (`throttled`), fail with a 500 (`failing`), cut the connection without an
 * answer (`reset`; with `reusedOnly`, only a connection that has answered a
 * request before, as one a server closed while its client was frozen), keep a
 * clock `offsetMs` off, refusing a signature more than 5 minutes from it as AWS
 * does and answering with its own `Date` (`skewed`), or answer with an
 * `x-amz-crc32` that does not match the body (`corrupted`). `operations` limits
 * a fault to those DynamoDB operations (X-Amz-Target's part after the dot, e.g.
 * `DeleteItem`), and `times` to that many of the requests it applies to, after
 * which comes `followedBy`, or a healthy database.
 */
export type Fault = (
  | { kind: 'none' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'throttled'; fraction: number }
  | { kind: 'failing' }
  | { kind: 'reset'; reusedOnly?: boolean }
  | { kind: 'skewed'; offsetMs: number }
  | { kind: 'corrupted' }
) & {
  operations?: string[];
  times?: number;
  followedBy?: Fault;
};

/**
 * What the faults did, so far: requests answered late (slow), answered with the
 * throttling error (never done), with a 500, cut off, refused for their
 * signature's time, and answered with a wrong checksum; and every request that arrived.
 */
export interface FaultCounts {
  delayed: number;
  throttled: number;
  failed: number;
  reset: number;
  skewRefused: number;
  corrupted: number;
  requests: number;
}

/**
 * A DynamoDB endpoint for DYNAMODB_ENDPOINT that fails on demand: dynalite in
 * a process of its own, with its data on disk, behind a proxy that holds the
 * endpoint's port and applies the current fault to every request.
 */
export interface FaultProxy {
  /** http://127.0.0.1:{port}, the same for the proxy's whole life. */
  endpoint: string;
  setFault(fault: Fault): void;
  /**
   * Kills the database process (SIGKILL, nothing flushed) and, as its port would,
   * cuts every connection (reset, answered or not) and refuses new ones.
   */
  kill(): Promise<void>;
  /** Starts the database again on the same data, and accepts connections on the same port. */
  restart(): Promise<void>;
  counts(): FaultCounts;
  /** Stops the proxy and the database. */
  close(): Promise<void>;
}

interface Database {
  endpoint: URL;
  /** Reuses connections to this database process; destroyed with it. */
  agent: Agent;
  process: ChildProcess;
}

async function startDatabase(path: string): Promise<Database> {
  // Its standard input is a pipe from this process: it exits when this process does, however that ends.
  const child = spawn(process.execPath, ['--import', 'tsx', DYNALITE_PROCESS, path], {
    cwd: REPOSITORY_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const endpoint = await new Promise<string>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectReady(new Error(`The database did not start in ${DATABASE_START_TIMEOUT_MS} ms:\n${output}`));
    }, DATABASE_START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = READY_LINE.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolveReady(ready[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rejectReady(new Error(`The database exited with ${code} before it was ready:\n${output}`));
    });
  });
  return { endpoint: new URL(endpoint), agent: new Agent({ keepAlive: true }), process: child };
}

async function killDatabase(database: Database): Promise<void> {
  const exited = once(database.process, 'exit');
  if (database.process.exitCode === null && database.process.signalCode === null) database.process.kill('SIGKILL');
  await exited;
  database.agent.destroy();
}

/** When a request was signed: its X-Amz-Date (`20300101T000000Z`). */
function signedAt(request: IncomingMessage): number {
  const stamp = String(request.headers['x-amz-date'] ?? '');
  return Date.parse(stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
}

async function readBody(message: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function forward(database: Database, request: IncomingMessage, body: Buffer): Promise<Answer> {
  return new Promise((resolveAnswer, rejectAnswer) => {
    const outgoing = httpRequest(
      {
        host: database.endpoint.hostname,
        port: database.endpoint.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: database.endpoint.host },
        agent: database.agent,
      },
      (response) => {
        readBody(response).then(
          (answer) => resolveAnswer({ status: response.statusCode ?? 502, headers: response.headers, body: answer }),
          rejectAnswer,
        );
      },
    );
    outgoing.on('error', rejectAnswer);
    outgoing.end(body);
  });
}

const HEALTHY: Fault = { kind: 'none' };

/** Starts the database on the LevelDB store in `path` (made if missing), and the proxy in front of it, healthy. */
export async function startFaultProxy(options: { path: string }): Promise<FaultProxy> {
  let database: Database | undefined = await startDatabase(options.path);
  let fault: Fault = HEALTHY;
  const counts: FaultCounts = { delayed: 0, throttled: 0, failed: 0, reset: 0, skewRefused: 0, corrupted: 0, requests: 0 };
  const sockets = new Set<Socket>();
  /** Connections that have carried a request already. */
  const used = new WeakSet<Socket>();

  /** The fault for one request of this operation; a fault limited in `times` is used up by it. */
  function faultFor(operation: string): Fault {
    if (fault.kind === 'none' || (fault.operations && !fault.operations.includes(operation))) return HEALTHY;
    const applied = fault;
    if (fault.times !== undefined) fault = fault.times > 1 ? { ...fault, times: fault.times - 1 } : (fault.followedBy ?? HEALTHY);
    return applied;
  }

  const server = createServer(async (request, response) => {
    const reused = used.has(request.socket);
    used.add(request.socket);
    try {
      const body = await readBody(request);
      counts.requests++;
      const operation =
        String(request.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const applied = faultFor(operation);
      if (applied.kind === 'throttled' && Math.random() < applied.fraction) {
        counts.throttled++;
        response.writeHead(THROTTLING_ANSWER.status, THROTTLING_ANSWER.headers).end(THROTTLING_ANSWER.body);
        return;
      }
      if (applied.kind === 'failing') {
        counts.failed++;
        response.writeHead(SERVER_ERROR_ANSWER.status, SERVER_ERROR_ANSWER.headers).end(SERVER_ERROR_ANSWER.body);
        return;
      }
      if (applied.kind === 'reset' && (reused || !applied.reusedOnly)) {
        counts.reset++;
        request.socket.resetAndDestroy();
        return;
      }
      const serverTime = applied.kind === 'skewed' ? new Date(Date.now() + applied.offsetMs) : undefined;
      if (serverTime && Math.abs(signedAt(request) - serverTime.getTime()) > SIGNATURE_WINDOW_MS) {
        counts.skewRefused++;
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', date: serverTime.toUTCString() }).end(
          JSON.stringify({
            __type: 'com.amazon.coral.service#InvalidSignatureException',
            message: `Signature expired: ${request.headers['x-amz-date']} is now earlier than ${serverTime.toISOString()}`,
          }),
        );
        return;
      }
      if (!database) throw new Error('The database is down');
      const answer = await forward(database, request, body);
      if (applied.kind === 'slow') {
        counts.delayed++;
        await delay(applied.delayMs);
      }
      // The client may have given up meanwhile, or the database been killed: the work is done all the same.
      if (request.socket.destroyed) return;
      const headers: IncomingHttpHeaders = { ...answer.headers, ...(serverTime ? { date: serverTime.toUTCString() } : {}) };
      if (applied.kind === 'corrupted') {
        counts.corrupted++;
        headers['x-amz-crc32'] = String((Number(answer.headers['x-amz-crc32'] ?? 0) + 1) % 2 ** 32);
      }
      response.writeHead(answer.status, headers).end(answer.body);
    } catch {
      // The database died under this request: its connection is reset, as the database's own would be.
      request.socket.destroy();
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  async function stopListening(): Promise<void> {
    if (!server.listening) return;
    const closed = once(server, 'close');
    server.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFault(next) {
      fault = next;
    },
    async kill() {
      const killed = database;
      database = undefined;
      await Promise.all([stopListening(), killed && killDatabase(killed)]);
    },
    async restart() {
      if (database) throw new Error('The database is running');
      database = await startDatabase(options.path);
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    counts: () => ({ ...counts }),
    async close() {
      const running = database;
      database = undefined;
      await Promise.all([stopListening(), running && killDatabase(running)]);
    },
  };
}
