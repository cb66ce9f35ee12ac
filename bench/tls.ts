import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, type Server as HttpServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createTlsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface Certificate {
  /** PEM files: NODE_EXTRA_CA_CERTS names the certificate, so the functions and the TLS floor trust it. */
  certFile: string;
  keyFile: string;
}

/**
 * A self-signed certificate for 127.0.0.1, made at bench time with openssl
 * (node:crypto makes keys, not certificates): P-256, a day long.
 */
export function makeCertificate(directory: string): Certificate {
  const certFile = join(directory, 'bench-cert.pem');
  const keyFile = join(directory, 'bench-key.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  );
  if (made.error || made.status !== 0) {
    throw new Error(`The bench's TLS endpoint needs openssl to make its certificate: ${made.error?.message ?? made.stderr}`);
  }
  return { certFile, keyFile };
}

export interface Endpoint {
  /** http(s)://127.0.0.1:{port} */
  url: string;
  /** Stops the server, its kept-alive connections included. */
  close(): Promise<void>;
}

/** Serves on a free port of 127.0.0.1. */
export async function listening(server: HttpServer | HttpsServer): Promise<Endpoint> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `${server instanceof HttpsServer ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** An https server on 127.0.0.1 with the bench's certificate, serving `listener`, its connections kept alive. */
export function serveTls(certificate: Certificate, listener: RequestListener): Promise<Endpoint> {
  const cert = readFileSync(certificate.certFile);
  const key = readFileSync(certificate.keyFile);
  return listening(createTlsServer({ cert, key, keepAliveTimeout: 60_000 }, listener));
}

async function readAll(message: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A listener that hands every request, headers as signed (Host included), to
 * the plain-HTTP endpoint `target`, and its answer back: TLS in front of a
 * local engine or local mode's emulated AWS, as DynamoDB and the AWS APIs are
 * reached over TLS in AWS.
 */
export function forwardingTo(target: string): RequestListener {
  const base = new URL(target);
  const agent = new Agent({ keepAlive: true });
  return (incoming, outgoing) => {
    readAll(incoming)
      .then(
        (body) =>
          new Promise<void>((resolveForward, rejectForward) => {
            const forwarded = httpRequest(
              {
                host: base.hostname,
                port: base.port,
                method: incoming.method,
                path: incoming.url,
                headers: incoming.headers,
                agent,
              },
              (answer) => {
                readAll(answer).then((answerBody) => {
                  outgoing.writeHead(answer.statusCode ?? 502, answer.headers).end(answerBody);
                  resolveForward();
                }, rejectForward);
              },
            );
            forwarded.on('error', rejectForward);
            forwarded.end(body);
          }),
      )
      .catch(() => incoming.socket.destroy());
  };
}
