import type { IncomingMessage } from 'node:http';
import type { SignedRequest } from './sigv4';

/** One request as the gateway sees it, body included, before any routing. */
export interface GatewayRequest extends SignedRequest {
  body: Buffer;
  /** Header names with the client's own casing, in order; API Gateway passes them on like that. */
  headerPairs: [string, string][];
  sourceIp: string;
  receivedAt: Date;
}

/** The body went over the limit; nothing past the limit was kept. */
export class RequestTooLargeError extends Error {
  constructor() {
    super('Request body too large');
  }
}

/**
 * Percent-decodes a path segment or query component, keeping text that is not
 * valid percent-encoding as it is. `+` stays a plus: AWS signers send spaces as %20.
 */
export function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The query string's decoded name-value pairs, in order; a name without `=` has the value ''. */
export function parseQuery(rawQuery: string): [string, string][] {
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const separator = pair.indexOf('=');
      if (separator < 0) return [percentDecode(pair), ''];
      return [percentDecode(pair.slice(0, separator)), percentDecode(pair.slice(separator + 1))];
    });
}

export function lastHeaderValue(request: Pick<GatewayRequest, 'headers'>, name: string): string | undefined {
  return request.headers[name.toLowerCase()]?.at(-1);
}

function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return; // keep draining so the 413 can still be sent, but hold nothing
      size += chunk.length;
      if (size > maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        reject(new RequestTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads a request and its body; throws RequestTooLargeError past maxBodyBytes, without reading the rest into memory. */
export async function readGatewayRequest(req: IncomingMessage, maxBodyBytes: number): Promise<GatewayRequest> {
  const receivedAt = new Date();
  const declaredLength = Number(req.headers['content-length']);
  if (declaredLength > maxBodyBytes) throw new RequestTooLargeError();
  const body = await readBody(req, maxBodyBytes);

  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const headerPairs: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headerPairs.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  return {
    method: req.method ?? 'GET',
    rawPath: queryStart < 0 ? url : url.slice(0, queryStart),
    rawQuery: queryStart < 0 ? '' : url.slice(queryStart + 1),
    headers: req.headersDistinct,
    headerPairs,
    body,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    receivedAt,
  };
}
