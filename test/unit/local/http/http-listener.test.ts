import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestListener } from '../../../../local/http/http-listener';
import type { GatewayRequest } from '../../../../local/http/http-request';

const MAX_BODY_BYTES = 64 * 1024;
let server: Server;
let baseUrl: string;
const received: GatewayRequest[] = [];

beforeAll(async () => {
  const dispatch = async (gatewayRequest: GatewayRequest) => {
    received.push(gatewayRequest);
    return { statusCode: gatewayRequest.bodyTooLarge ? 413 : 200, headers: {}, body: String(gatewayRequest.body.length) };
  };
  server = createServer(createRequestListener(dispatch, { maxBodyBytes: MAX_BODY_BYTES, stopping: () => false }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  received.length = 0;
});

/** POSTs `size` bytes, with Content-Length or chunked, and answers the status and body. */
async function post(size: number, options: { chunked?: boolean; agent?: Agent } = {}) {
  const headers: Record<string, string> = options.chunked
    ? { 'transfer-encoding': 'chunked' }
    : { 'content-length': String(size) };
  const req = request(`${baseUrl}/keys`, { method: 'POST', headers, agent: options.agent });
  const answered = once(req, 'response').then(async ([res]) => {
    let text = '';
    for await (const chunk of res) text += chunk;
    return { status: res.statusCode as number, text };
  });
  const piece = Buffer.alloc(16 * 1024, 'a');
  for (let sent = 0; sent < size; sent += piece.length) req.write(piece.subarray(0, Math.min(piece.length, size - sent)));
  req.end();
  return answered;
}

describe('request listener: bodies', () => {
  it('hands on a body up to the limit whole', async () => {
    expect(await post(MAX_BODY_BYTES)).toEqual({ status: 200, text: String(MAX_BODY_BYTES) });
    expect(received[0]).toMatchObject({ method: 'POST', rawPath: '/keys', bodyTooLarge: false });
  });

  it.each([
    ['declared with Content-Length', false],
    ['sent chunked', true],
  ])('hands on a larger body %s as bodyTooLarge, holding none of it', async (_, chunked) => {
    expect(await post(4 * MAX_BODY_BYTES, { chunked })).toEqual({ status: 413, text: '0' });
    expect(received[0]).toMatchObject({ bodyTooLarge: true, body: Buffer.alloc(0) });
  });

  it('discards the rest of a large body, so the connection stays usable', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await post(8 * MAX_BODY_BYTES, { agent })).status).toBe(413);
      expect(await post(10, { agent })).toEqual({ status: 200, text: '10' });
      expect(received).toHaveLength(2);
    } finally {
      agent.destroy();
    }
  });
});
