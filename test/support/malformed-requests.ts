/**
 * Requests that are not valid HTTP/1.1, or that a server must refuse, each with
 * the status the server answers it with. Every answer must be problem+json, and
 * close the connection. docs/reliability.md counts them.
 */
export interface MalformedRequest {
  name: string;
  raw: string;
  status: number;
}

const HOST = 'Host: 127.0.0.1\r\n';
const post = (headers: string, body = '') => `POST /keys HTTP/1.1\r\n${HOST}${headers}\r\n${body}`;

export const MALFORMED_REQUESTS: readonly MalformedRequest[] = [
  { name: 'a lower-case method', raw: `get /whoami HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'an unknown method', raw: `FETCH /whoami HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'a request line that is not HTTP', raw: 'hello\r\n\r\n', status: 400 },
  { name: 'an unknown HTTP version', raw: `GET /whoami HTTP/9.9\r\n${HOST}\r\n`, status: 400 },
  { name: 'HTTP/2.0 in an HTTP/1 request line', raw: `GET /whoami HTTP/2.0\r\n${HOST}\r\n`, status: 505 },
  { name: 'an HTTP/0.9 request', raw: 'GET /whoami\r\n\r\n', status: 505 },
  { name: 'an HTTP/2 connection preface', raw: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', status: 400 },
  { name: 'bare LF line endings', raw: 'GET /whoami HTTP/1.1\nHost: 127.0.0.1\n\n', status: 400 },
  { name: 'a space in the request target', raw: `GET /who ami HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'a NUL byte in the request target', raw: `GET /who\0ami HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'no Host header', raw: 'GET /whoami HTTP/1.1\r\n\r\n', status: 400 },
  { name: 'two Host headers', raw: `GET /whoami HTTP/1.1\r\n${HOST}Host: elsewhere\r\n\r\n`, status: 400 },
  { name: 'a space in a header name', raw: `GET /whoami HTTP/1.1\r\n${HOST}Bad Header: x\r\n\r\n`, status: 400 },
  { name: 'a space before a header colon', raw: `GET /whoami HTTP/1.1\r\n${HOST}X-Api-Key : x\r\n\r\n`, status: 400 },
  { name: 'a header line without a colon', raw: `GET /whoami HTTP/1.1\r\n${HOST}NoColon\r\n\r\n`, status: 400 },
  { name: 'a control character in a header value', raw: `GET /whoami HTTP/1.1\r\n${HOST}X-Api-Key: a\x01b\r\n\r\n`, status: 400 },
  { name: 'a folded header line (obs-fold)', raw: `GET /whoami HTTP/1.1\r\n${HOST}X-Api-Key: a\r\n  b\r\n\r\n`, status: 400 },
  { name: 'one header over 16 KiB', raw: `GET /whoami HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, status: 431 },
  {
    name: 'headers over 16 KiB in all',
    raw: `GET /whoami HTTP/1.1\r\n${HOST}${Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'v'.repeat(500)}\r\n`).join('')}\r\n`,
    status: 431,
  },
  { name: 'two different Content-Length headers', raw: post('Content-Length: 2\r\nContent-Length: 3\r\n', '{}'), status: 400 },
  { name: 'the same Content-Length twice', raw: post('Content-Length: 2\r\nContent-Length: 2\r\n', '{}'), status: 400 },
  { name: 'a Content-Length that is not a number', raw: post('Content-Length: ten\r\n'), status: 400 },
  { name: 'a negative Content-Length', raw: post('Content-Length: -1\r\n'), status: 400 },
  {
    name: 'Content-Length and Transfer-Encoding together',
    raw: post('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n'),
    status: 400,
  },
  { name: 'a Transfer-Encoding other than chunked', raw: post('Transfer-Encoding: gzip\r\n', 'abc'), status: 400 },
  { name: 'chunked twice', raw: post('Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), status: 400 },
  { name: 'a chunk size that is not hexadecimal', raw: post('Transfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n'), status: 400 },
  {
    name: 'an expectation other than 100-continue',
    raw: `GET /whoami HTTP/1.1\r\n${HOST}Expect: something\r\n\r\n`,
    status: 417,
  },
  { name: 'CONNECT', raw: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', status: 403 },
];
