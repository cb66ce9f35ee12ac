import type { IncomingMessage } from 'node:http';

/** A request exactly as it arrived: what the client signed. */
export interface SignedRequest {
  method: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  /** The query string as sent, without `?`. */
  rawQuery: string;
  /** Lower-case header names, each with every value it was sent with. */
  headers: Readonly<Record<string, string[] | undefined>>;
  body: Uint8Array;
}

/** One request as the gateway sees it, body included, before any routing. */
export interface GatewayRequest extends SignedRequest {
  /** The whole body; empty when `bodyTooLarge`. */
  body: Buffer;
  /** The body went over what the gateway reads into memory; none of it is kept, and the rest is discarded. */
  bodyTooLarge: boolean;
  /** Header names with the client's own casing, in order; API Gateway passes them on like that. */
  headerPairs: [string, string][];
  sourceIp: string;
  receivedAt: Date;
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

const NO_BODY = Buffer.alloc(0);

/**
 * The body, or undefined as soon as it goes over maxBodyBytes (or declares it
 * will). Then nothing of it is kept, and the rest is read and discarded, so
 * that the answer can still be sent and the connection stays usable.
 */
function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer | undefined> | Buffer {
  // Without either header a request has no body (RFC 9112, 6.3): nothing to read, no end to wait for.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return NO_BODY;
  if (Number(req.headers['content-length']) > maxBodyBytes) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      req.off('data', onData); // still flowing, so the rest is discarded as it arrives
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Reads a request and its body, holding at most maxBodyBytes of it: a larger
 * body comes back as `bodyTooLarge`, without waiting for the rest of it.
 */
export async function readGatewayRequest(req: IncomingMessage, maxBodyBytes: number): Promise<GatewayRequest> {
  const receivedAt = new Date();
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
    body: body ?? NO_BODY,
    bodyTooLarge: body === undefined,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    receivedAt,
  };
}
