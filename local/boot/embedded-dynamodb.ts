import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedDynamoDb {
  /** http://127.0.0.1:{port} */
  endpoint: string;
  /** Stops the server and closes its store, flushing it to disk. */
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1. With `path` the data lives in LevelDB files
 * there and survives restarts; without it, in memory.
 */
export async function startEmbeddedDynamoDb(options: { path?: string; port?: number } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve()))),
  };
}
