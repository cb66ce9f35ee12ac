/**
 * `npm start` answers every request that is not valid HTTP/1.1 with
 * problem+json and closes its connection, as the test/support list has them;
 * test/unit/local/http/http-server.test.ts runs them too, with the timeouts.
 */
import { call } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { MALFORMED_REQUESTS } from '../support/malformed-requests';
import { sendRaw } from '../support/raw-http';
import { makeTempDir } from '../support/temp-dir';

let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-malformed');
  server = await startLocalServer({ DATA_DIR: dataDir.path });
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

describe('npm start and requests that are not valid HTTP/1.1', () => {
  it.each(MALFORMED_REQUESTS.map((request) => [request.name, request] as const))(
    '%s: problem+json with no-store, nosniff and Connection: close',
    async (_, { raw, status }) => {
      const answer = await sendRaw(server.baseUrl, [raw]);
      expect({ status: answer.status, headers: answer.headers }).toEqual({
        status,
        headers: expect.objectContaining({
          'content-type': 'application/problem+json',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          connection: 'close',
        }),
      });
      expect(JSON.parse(answer.body)).toMatchObject({ status });
    },
  );

  it('keeps serving valid requests after them all', async () => {
    expect((await call(server.baseUrl, 'GET', '/whoami')).status).toBe(401);
  });
});
