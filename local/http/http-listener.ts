import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import { type GatewayRequest, readGatewayRequest } from './http-request';
import { type LocalProblem, localProblemResponse } from './local-problems';

export interface ListenerOptions {
  /** The most of a body that is read into memory; a larger one reaches dispatch as `bodyTooLarge`. */
  maxBodyBytes: number;
  /** True once the server is stopping: answers then close their connection, so the stop need not wait for keep-alive. */
  stopping: () => boolean;
}

/**
 * What Node's parser lets through but HTTP/1.1 does not: another version
 * (`GET / HTTP/2.0`, HTTP/0.9), or a 1.1 request without exactly one Host.
 */
function refusalOf(req: IncomingMessage): LocalProblem | undefined {
  if (req.httpVersionMajor !== 1) return 'versionNotSupported';
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') hosts++;
  if (req.httpVersionMinor === 1 && hosts !== 1) return 'badHost';
  return undefined;
}

/** Node's HTTP server glue: reads each request (bounded), hands it on, writes the answer. */
export function createRequestListener(
  dispatch: (request: GatewayRequest) => Promise<HttpResponse>,
  options: ListenerOptions,
): RequestListener {
  const send = (res: ServerResponse, response: HttpResponse) => {
    res.statusCode = response.statusCode;
    for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
    if (options.stopping()) res.setHeader('Connection', 'close');
    // Headers left unwritten until end(), which then knows the length: the answer goes out with a
    // Content-Length in one write, as API Gateway's do, rather than chunked (writeHead first sends them without it).
    res.end(response.body);
  };
  return async (req: IncomingMessage, res: ServerResponse) => {
    const refusal = refusalOf(req);
    if (refusal) {
      const response = localProblemResponse(refusal);
      send(res, { ...response, headers: { ...response.headers, Connection: 'close' } });
      return;
    }
    let request: GatewayRequest;
    try {
      request = await readGatewayRequest(req, options.maxBodyBytes);
    } catch {
      // The client went away mid-body, or sent one the parser refused, which the server's clientError handler has answered.
      if (!req.socket.writableEnded) res.destroy();
      return;
    }
    try {
      send(res, await dispatch(request));
    } catch (error) {
      console.error('Request failed:', error);
      send(res, gatewayErrorResponse('DEFAULT_5XX'));
    }
  };
}
