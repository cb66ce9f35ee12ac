import { Readable } from 'node:stream';
import dynalite from 'dynalite';
import dynaliteStore, { type DynaliteStore } from 'dynalite/db';
import type { HttpResponse } from '../apigateway/responses';
import type { GatewayRequest } from '../http/http-request';
import { writeItemsWithTheirIndexes } from './atomic-item-writes';
import { StartupError } from './startup-error';

export interface EmbeddedDynamoDb {
  /** Answers one DynamoDB JSON-protocol request as dynalite does; the caller has authenticated it. */
  serve(request: GatewayRequest): Promise<HttpResponse>;
  /** Closes the store, flushing it to disk. */
  close(): Promise<void>;
}

/** What dynalite's request listener reads of a request, and writes of its answer. */
type DynaliteListener = (
  req: Readable & { method: string; url: string; headers: Record<string, string> },
  res: { statusCode: number; setHeader(name: string, value: string | number): void; end(body?: string): void },
) => void;

/** Framing is for the server that sends the answer to decide. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

/**
 * dynalite's key and value streams end their LevelDB iterator by calling
 * `iterator.return()`, which abstract-level's iterators do not have (theirs is
 * `close()`): so every Query and Scan left its iterator open for good, held by
 * the database, and with it, in classic-level, native memory and a LevelDB
 * snapshot that kept old data from being freed. RSS grew without bound, outside
 * the JavaScript heap. Giving each iterator the `return()` they expect closes it
 * when its stream ends or is destroyed.
 */
function closeIteratorsOnReturn(db: DynaliteStore['db']): void {
  for (const method of ['keys', 'values'] as const) {
    const open = db[method].bind(db);
    db[method] = (options) => {
      const iterator = open(options);
      iterator.return ??= () => iterator.close();
      return iterator;
    };
  }
}

/** LevelDB refuses a directory another process has open; abstract-level reports that as the cause. */
const isLocked = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED';

/**
 * dynalite in this process, on no port: its HTTP server never listens, and its
 * request listener is called directly, so nothing reaches the table but what
 * this process passes on. With `path` the data lives in LevelDB files there and
 * survives restarts; without it, in memory. Resolves once the store is open.
 */
export async function openEmbeddedDynamoDb(options: { path?: string } = {}): Promise<EmbeddedDynamoDb> {
  // dynalite keeps its store to itself, and closes it only from a server that listened:
  // the store is caught as dynalite makes it, so that it can be closed here.
  const create = dynaliteStore.create;
  let store: DynaliteStore | undefined;
  dynaliteStore.create = (storeOptions) => (store = create(storeOptions));
  let server: ReturnType<typeof dynalite>;
  try {
    server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  } finally {
    dynaliteStore.create = create;
  }
  if (!store) throw new Error('dynalite made no store');
  const { db } = store;
  closeIteratorsOnReturn(db);
  writeItemsWithTheirIndexes(store);
  try {
    await db.open();
  } catch (error) {
    if (isLocked(error)) {
      throw new StartupError(`The store in ${options.path} is in use by another process; stop it, or use another DATA_DIR.`);
    }
    throw error;
  }
  const listener = server.listeners('request')[0] as DynaliteListener;

  return {
    serve: (request) =>
      new Promise((resolve) => {
        const req = Object.assign(Readable.from(request.body.length > 0 ? [request.body] : []), {
          method: request.method,
          url: request.rawQuery === '' ? request.rawPath : `${request.rawPath}?${request.rawQuery}`,
          headers: Object.fromEntries(Object.entries(request.headers).map(([name, values = []]) => [name, values.join(', ')])),
        });
        const headers: Record<string, string> = {};
        const res = {
          statusCode: 200,
          setHeader(name: string, value: string | number) {
            if (!FRAMING_HEADERS.has(name.toLowerCase())) headers[name] = String(value);
          },
          end(body?: string) {
            resolve({ statusCode: res.statusCode, headers, body: body ?? '' });
          },
        };
        listener(req, res);
      }),
    close: () => db.close(),
  };
}
