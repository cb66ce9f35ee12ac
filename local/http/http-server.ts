import { once } from 'node:events';
import { createServer, type RequestListener, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import { StartupError } from '../boot/startup-error';
import { type LocalProblem, localProblemResponse } from './local-problems';

/** How long and how much a client may take; see docs/reliability.md. */
export interface HttpLimits {
  /** The request line and headers must have arrived within this, from the connection or the request's start. */
  headersTimeoutMs: number;
  /** The whole request, body included. */
  requestTimeoutMs: number;
  /** A connection idle between requests is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the two request timeouts are checked: a request may overrun them by up to this. */
  timeoutCheckIntervalMs: number;
  /** Connections open at once, the handlers' own calls to this server included; any more are closed as they come. */
  maxConnections: number;
  /** The request line and headers together; more is answered 431. */
  maxHeaderBytes: number;
}

export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 1_000,
  maxConnections: 256,
  maxHeaderBytes: 16 * 1024,
};

/** An answer written straight to a connection, for a request that never became one Node hands on. */
function rawResponse(response: HttpResponse): string {
  const body = String(response.body);
  return [
    `HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode]}`,
    ...Object.entries(response.headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Node's names for what its parser refused: too large, too slow, or anything else that is not HTTP/1.1. */
function problemFor(error: NodeJS.ErrnoException): LocalProblem {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headersTooLarge';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'timeout';
  return 'badRequest';
}

/**
 * Node's HTTP server, with the answers Node would give itself (a bare 400, 408,
 * 417 or 431, or none) replaced by problem+json, and limits on how long a client
 * may take and how many connections it may hold.
 */
export function createLocalHttpServer(listener: RequestListener, limits: HttpLimits = HTTP_LIMITS): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node would answer a missing Host with a bare 400; the request listener answers it instead.
      requireHostHeader: false,
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: nothing can be said on a connection that is gone, or half way through an answer.
    const answer = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answer?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse(localProblemResponse(problemFor(error))));
  });
  // No route takes CONNECT: it gets what any method the API does not have gets.
  server.on('connect', (_request, socket: Duplex) => {
    socket.end(rawResponse(gatewayErrorResponse('MISSING_AUTHENTICATION_TOKEN')));
  });
  server.on('checkExpectation', (_request, response: ServerResponse) => {
    const { statusCode, headers, body } = localProblemResponse('expectationFailed');
    response.writeHead(statusCode, { ...headers, Connection: 'close' });
    response.end(body);
  });
  return server;
}

/** Listens on 127.0.0.1 only; a port that is taken or not allowed is said in one line. */
export async function listenOnLoopback(server: Server, port: number): Promise<void> {
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new StartupError(
        `Port ${port} on 127.0.0.1 is in use by another process; stop it, or set PORT to another port (0 picks a free one).`,
      );
    }
    if (code === 'EACCES') throw new StartupError(`Port ${port} on 127.0.0.1 needs privileges; set PORT to 1024 or above.`);
    throw error;
  }
}
