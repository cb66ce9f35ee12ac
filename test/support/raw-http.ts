import { connect } from 'node:net';

/** What came back on a raw connection, read until the server closed it. */
export interface RawAnswer {
  /** undefined when the server closed the connection without a word. */
  status?: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/** The data of a chunked body: each chunk is its size in hexadecimal, CRLF, the data, CRLF; size 0 ends it. */
function dechunk(body: string): string {
  let data = '';
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return data;
    data += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * Connects to `url`'s host and port, writes `parts` as they are (pausing
 * `pauseMs` between them, when given), and reads until the server closes the
 * connection. The client never closes its side first: a server that waits
 * forever makes this time out, which is the point.
 */
export function sendRaw(
  url: string,
  parts: (string | Buffer)[],
  options: { pauseMs?: number; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`The server kept the connection open for ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    // A reset after the answer (the server closing while the client still sends) still ends the exchange.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        resolve({ status: undefined, headers: {}, body: text, closedAfterMs: Date.now() - startedAt });
        return;
      }
      const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = text.slice(end + 4);
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: headers['transfer-encoding'] === 'chunked' ? dechunk(body) : body,
        closedAfterMs: Date.now() - startedAt,
      });
    });
    socket.on('connect', async () => {
      for (const [index, part] of parts.entries()) {
        if (index > 0 && options.pauseMs) await new Promise((resume) => setTimeout(resume, options.pauseMs));
        if (!socket.destroyed) socket.write(part);
      }
    });
  });
}
