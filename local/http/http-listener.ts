import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import { type GatewayRequest, readGatewayRequest } from './http-request';

export interface ListenerOptions {
  /** The most of a body that is read into memory; a larger one reaches dispatch as `bodyTooLarge`. */
  maxBodyBytes: number;
  /** True once the server is stopping: answers then close their connection, so the stop need not wait for keep-alive. */
  stopping: () => boolean;
}

/** Node's HTTP server glue: reads each request (bounded), hands it on, writes the answer. */
export function createRequestListener(
  dispatch: (request: GatewayRequest) => Promise<HttpResponse>,
  options: ListenerOptions,
): RequestListener {
  const send = (res: ServerResponse, response: HttpResponse) => {
    res.writeHead(response.statusCode, options.stopping() ? { ...response.headers, Connection: 'close' } : response.headers);
    res.end(response.body);
  };
  return async (req: IncomingMessage, res: ServerResponse) => {
    let request: GatewayRequest;
    try {
      request = await readGatewayRequest(req, options.maxBodyBytes);
    } catch {
      res.destroy(); // the client went away mid-body
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
