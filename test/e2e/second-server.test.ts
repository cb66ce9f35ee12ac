/**
 * A second `npm start` on a port or a DATA_DIR that one is using says so in one
 * line on stderr and exits non-zero, having created nothing; a lock left by a
 * server that died does not stop the next one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { call } from '../support/api-client';
import { type LocalServerProcess, startLocalServer, startLocalServerExpectingRefusal } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let first: LocalServerProcess;
let firstDataDir: string;

beforeAll(async () => {
  temp = await makeTempDir('e2e-second');
  firstDataDir = join(temp.path, 'first');
  first = await startLocalServer({ DATA_DIR: firstDataDir });
});

afterAll(async () => {
  try {
    await first?.stop(); // fails if it leaves a process behind
  } finally {
    await temp?.remove();
  }
});

/** Every path under `root`, so that a refused start can be shown to have added nothing. */
async function pathsUnder(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort();
}

describe('a second npm start', () => {
  it('on a port in use: one line on stderr, exit 1, and no DATA_DIR made', async () => {
    const port = new URL(first.baseUrl).port;
    const dataDir = join(temp.path, 'second');
    const refused = await startLocalServerExpectingRefusal({ PORT: port, DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `Port ${port} on 127.0.0.1 is in use by another process; stop it, or set PORT to another port (0 picks a free one).\n`,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('on a DATA_DIR in use: one line on stderr, exit 1, and nothing added to it', async () => {
    const before = await pathsUnder(firstDataDir);
    const refused = await startLocalServerExpectingRefusal({ DATA_DIR: firstDataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `DATA_DIR ${firstDataDir} is in use by another npm start (pid ${first.serverPid()}); stop it, or use another DATA_DIR.\n`,
    );
    expect(await pathsUnder(firstDataDir)).toEqual(before);
  });

  it('leaves the first one serving', async () => {
    expect((await call(first.baseUrl, 'GET', '/whoami')).status).toBe(401);
  });
});

describe('the DATA_DIR lock', () => {
  it('holds the server’s pid while it runs, is taken over from a server that died, and is gone after a stop', async () => {
    expect(await readFile(join(firstDataDir, 'server.lock'), 'utf8')).toBe(`${first.serverPid()}\n`);

    const dataDir = join(temp.path, 'stale');
    const exited = spawnSync(process.execPath, ['-e', '']);
    expect(exited.status).toBe(0);
    // As a server killed with SIGKILL leaves it: the pid of a process that is gone.
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(join(dataDir, 'server.lock'), `${exited.pid}\n`, { mode: 0o600 });

    const next = await startLocalServer({ DATA_DIR: dataDir });
    try {
      expect(await readFile(join(dataDir, 'server.lock'), 'utf8')).toBe(`${next.serverPid()}\n`);
      expect((await call(next.baseUrl, 'GET', '/whoami')).status).toBe(401);
    } finally {
      expect(await next.stop()).toBe(0);
    }
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(false);
  });
});
