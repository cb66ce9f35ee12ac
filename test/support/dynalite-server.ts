import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openEmbeddedDynamoDb } from '../../local/boot/embedded-dynamodb';
import { createRequestListener } from '../../local/http/http-listener';

/** DynamoDB's own limit on a request. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export interface DynaliteServer {
  /** http://127.0.0.1:{port} */
  endpoint: string;
  /** Stops the server and closes the store. */
  close(): Promise<void>;
}

/**
 * The store `npm start` embeds, on a port of its own and taking any
 * credentials: a DynamoDB-compatible endpoint for tests, as DYNAMODB_ENDPOINT
 * may name one. `npm start` itself gives it no port. In memory, or with `path`
 * in LevelDB files there, which a later server on the same path opens again.
 */
export async function startDynaliteServer(options: { path?: string } = {}): Promise<DynaliteServer> {
  const database = await openEmbeddedDynamoDb({ path: options.path });
  const server = createServer(
    createRequestListener((request) => database.serve(request), { maxBodyBytes: MAX_REQUEST_BYTES, stopping: () => false }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
      await database.close();
    },
  };
}
