import type { Server, ServerResponse } from 'node:http';

export interface RequestsInFlight {
  /** Resolves once no request is in flight: at once if none is. */
  drained(): Promise<void>;
}

/** Counts the server's requests from their arrival until their answer is sent or their connection closes. */
export function trackRequestsInFlight(server: Server): RequestsInFlight {
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  server.on('request', (_request, response: ServerResponse) => {
    inFlight++;
    response.once('close', () => {
      inFlight--;
      if (inFlight === 0) for (const resolve of waiting.splice(0)) resolve();
    });
  });
  return { drained: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve))) };
}
