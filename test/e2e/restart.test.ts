/**
 * Persistence across a stop: SIGTERM to `npm start` reaches the server, which
 * lets requests in flight finish and exits 0, leaving no process behind; what was
 * written (keys and generated admin credentials) is there after a restart.
 */
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { type IncomingMessage, request } from 'node:http';
import { join } from 'node:path';
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let server: LocalServerProcess | undefined;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-restart');
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

function printedCredentials(output: string): { accessKeyId: string; secretAccessKey: string } {
  const printed = /AK=(\S+) SK=(\S+)/.exec(output);
  if (!printed) throw new Error(`No credentials printed:\n${output}`);
  return { accessKeyId: printed[1], secretAccessKey: printed[2] };
}

/**
 * Sends a request's head and half its body, so that it is still in flight until
 * `finish` is called. Resolves once the server has read the head: it answers
 * `Expect: 100-continue` then, so a stop that follows cannot beat the connection.
 */
async function startSlowRequest(baseUrl: string, path: string, headers: Record<string, string>, body: string) {
  const half = Math.floor(body.length / 2);
  const req = request(new URL(path, baseUrl), {
    method: 'POST',
    headers: { ...headers, 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  });
  const answered = once(req, 'response').then(async ([response]) => {
    const res = response as IncomingMessage;
    let text = '';
    for await (const chunk of res) text += chunk;
    return { status: res.statusCode, connection: res.headers.connection, json: JSON.parse(text) };
  });
  req.flushHeaders();
  await once(req, 'continue');
  req.write(body.slice(0, half));
  return {
    finish() {
      req.end(body.slice(half));
      return answered;
    },
  };
}

describe('stopping and restarting with the same DATA_DIR', () => {
  it('keeps keys and generated admin credentials, and finishes requests in flight on SIGTERM', async () => {
    server = await startLocalServer({ DATA_DIR: dataDir.path });
    const admin = printedCredentials(server.output());
    expect(server.output()).toContain('made just now and saved in');
    expect((await stat(join(dataDir.path, 'admin-credentials.json'))).mode & 0o777).toBe(0o600);

    const created = await signedCall(server.baseUrl, admin, 'POST', '/tenants/durable/keys', {
      body: { name: 'Survivor', scopes: ['keys:manage'] },
    });
    expect(created.status).toBe(201);
    const { key, id } = created.json;
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status).toBe(200);

    const inFlight = await startSlowRequest(
      server.baseUrl,
      '/keys',
      { 'x-api-key': key, 'content-type': 'application/json' },
      '{"name":"Written during shutdown"}',
    );
    const exitCode = server.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // While it finishes what is in flight, a new request is turned away, not left waiting.
    const turnedAway = await call(server.baseUrl, 'GET', '/whoami', { apiKey: key });
    expect(turnedAway).toMatchObject({ status: 503, json: { status: 503, title: 'Service Unavailable' } });
    expect(turnedAway.headers.get('content-type')).toBe('application/problem+json');
    expect(turnedAway.headers.get('connection')).toBe('close');
    const lateAnswer = await inFlight.finish();
    expect(lateAnswer).toMatchObject({ status: 201, connection: 'close' });
    const lateKey = lateAnswer.json;
    expect(await exitCode).toBe(0);
    expect(server.output()).toContain('SIGTERM: finishing requests in flight, then stopping');
    expect(server.output()).toContain('Stopped');
    expect(server.output()).not.toContain(key);

    server = await startLocalServer({ DATA_DIR: dataDir.path });
    expect(printedCredentials(server.output())).toEqual(admin);
    expect(server.output()).toContain('kept in');
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).json).toMatchObject({ keyId: id, name: 'Survivor' });
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: lateKey.key })).json).toMatchObject({ keyId: lateKey.id });
    const listed = await signedCall(server.baseUrl, admin, 'GET', '/tenants/durable/keys');
    expect(listed.json.items.map((item: { id: string }) => item.id)).toEqual([lateKey.id, id]);

    expect(await server.stop('SIGINT')).toBe(0);
    server = undefined;
  });
});
