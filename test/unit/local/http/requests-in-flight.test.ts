import { once } from 'node:events';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trackRequestsInFlight } from '../../../../local/http/requests-in-flight';

describe('trackRequestsInFlight', () => {
  it('is drained at once with nothing in flight, and otherwise once every answer is sent', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => held.push(res));
    const requests = trackRequestsInFlight(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await requests.drained();
      const answered = [request(url).end(), request(url).end()].map((req) => once(req, 'response'));
      while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      let drained = false;
      const draining = requests.drained().then(() => (drained = true));
      held[0].end();
      await answered[0];
      await new Promise((resolve) => setImmediate(resolve));
      expect(drained).toBe(false);
      held[1].end();
      await draining;
      expect(drained).toBe(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
