import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createRequestListener } from '../../../../local/http/http-listener';
import { createLocalHttpServer, type HttpLimits } from '../../../../local/http/http-server';
import { MALFORMED_REQUESTS } from '../../../support/malformed-requests';
import { type RawAnswer, sendRaw } from '../../../support/raw-http';

/** Small enough that every timeout here passes in well under a second. */
const LIMITS: HttpLimits = {
  headersTimeoutMs: 150,
  requestTimeoutMs: 300,
  keepAliveTimeoutMs: 150,
  timeoutCheckIntervalMs: 25,
  maxConnections: 3,
  maxHeaderBytes: 16 * 1024,
};

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  const dispatch = async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' });
  server = createLocalHttpServer(createRequestListener(dispatch, { maxBodyBytes: 1024, stopping: () => false }), LIMITS);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

function expectProblem(answer: RawAnswer, status: number): void {
  expect({ status: answer.status, headers: answer.headers }).toEqual({
    status,
    headers: expect.objectContaining({
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'close',
    }),
  });
  expect(JSON.parse(answer.body)).toEqual({ type: 'about:blank', title: expect.any(String), status, detail: expect.any(String) });
}

describe('local HTTP server: requests that are not valid HTTP/1.1', () => {
  it.each(MALFORMED_REQUESTS.map((request) => [request.name, request] as const))(
    '%s: problem+json, and the connection closed',
    async (_, { raw, status }) => {
      expectProblem(await sendRaw(baseUrl, [raw]), status);
    },
  );

  it('still answers a valid request, keeping its connection open for the next', async () => {
    const answer = await sendRaw(baseUrl, ['GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']);
    expect(answer.status).toBe(200);
    // Closed by the server only once the keep-alive timeout passed.
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(LIMITS.keepAliveTimeoutMs - 25);
  });
});

describe('local HTTP server: no client holds a connection', () => {
  it('answers 408 to a connection that sends nothing', async () => {
    expectProblem(await sendRaw(baseUrl, []), 408);
  });

  it('answers 408 to headers that never end, or that trickle in past the headers timeout', async () => {
    expectProblem(await sendRaw(baseUrl, ['GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n']), 408);
    const trickle = Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: x\r\n`);
    expectProblem(await sendRaw(baseUrl, ['GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n', ...trickle], { pauseMs: 20 }), 408);
  });

  it('answers 408 to a body shorter than its Content-Length', async () => {
    expectProblem(await sendRaw(baseUrl, ['POST /keys HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"name"']), 408);
  });

  it(`takes ${LIMITS.maxConnections} connections at once, closing any more at once without a word`, async () => {
    const held = await Promise.all(
      Array.from({ length: LIMITS.maxConnections }, async () => {
        const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
        await once(socket, 'connect');
        return socket;
      }),
    );
    try {
      // Let the server count them all before the next one arrives.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const refused = await sendRaw(baseUrl, ['GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']);
      expect(refused).toMatchObject({ status: undefined, body: '' });
    } finally {
      for (const socket of held) socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await sendRaw(baseUrl, ['GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'])).status).toBe(200);
  });
});
