import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

/** A TCP server that accepts connections and never answers, like a stuck AWS endpoint. */
export interface SilentServer {
  url: string;
  /** Every connection accepted so far. */
  sockets: Socket[];
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Points the SDK at `endpointVariable` with throwaway credentials; returns a function that restores the environment. */
export function useEndpoint(endpointVariable: string, url: string, extra: Record<string, string> = {}): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, {
    [endpointVariable]: url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'integration',
    AWS_SECRET_ACCESS_KEY: 'integration',
    ...extra,
  });
  return () => {
    process.env = saved;
  };
}
