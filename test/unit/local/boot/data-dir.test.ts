import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDataDir, lockDataDir, makeDataDirPrivate } from '../../../../local/boot/data-dir';
import { StartupError } from '../../../../local/boot/startup-error';
import { makeTempDir } from '../../../support/temp-dir';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  temp = await makeTempDir('data-dir');
});
afterEach(async () => {
  await temp.remove();
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('ensureDataDir', () => {
  it('makes a missing DATA_DIR, and any missing parents, with mode 0700', async () => {
    const path = join(temp.path, 'a', 'b');
    await ensureDataDir(path);
    expect(await modeOf(path)).toBe(0o700);
    expect(await modeOf(join(temp.path, 'a'))).toBe(0o700);
  });

  it('refuses a file', async () => {
    const path = join(temp.path, 'file');
    await writeFile(path, '');
    await expect(ensureDataDir(path)).rejects.toEqual(new StartupError(`DATA_DIR ${path} is not a directory.`));
  });
});

describe('makeDataDirPrivate', () => {
  it('takes group and other permissions off the directory and everything in it, keeping the owner’s', async () => {
    await mkdir(join(temp.path, 'dynamodb'));
    await writeFile(join(temp.path, 'dynamodb', 'LOG'), '');
    await chmod(temp.path, 0o755);
    await chmod(join(temp.path, 'dynamodb'), 0o775);
    await chmod(join(temp.path, 'dynamodb', 'LOG'), 0o664);
    expect(await makeDataDirPrivate(temp.path)).toBe(true);
    expect([
      await modeOf(temp.path),
      await modeOf(join(temp.path, 'dynamodb')),
      await modeOf(join(temp.path, 'dynamodb', 'LOG')),
    ]).toEqual([0o700, 0o700, 0o600]);
    expect(await makeDataDirPrivate(temp.path)).toBe(false);
  });

  it('leaves symbolic links and what they point to alone', async () => {
    const outside = await makeTempDir('data-dir-outside');
    try {
      await chmod(outside.path, 0o755);
      await chmod(temp.path, 0o700);
      await symlink(outside.path, join(temp.path, 'elsewhere'));
      expect(await makeDataDirPrivate(temp.path)).toBe(false);
      expect(await modeOf(outside.path)).toBe(0o755);
      expect((await lstat(join(temp.path, 'elsewhere'))).isSymbolicLink()).toBe(true);
    } finally {
      await outside.remove();
    }
  });

  (process.getuid?.() === 0 ? it : it.skip)('refuses anything in it that belongs to another user', async () => {
    const planted = join(temp.path, 'admin-credentials.json');
    await writeFile(planted, '{}');
    await chown(planted, 65534, 65534);
    await expect(makeDataDirPrivate(temp.path)).rejects.toEqual(
      new StartupError(`${planted} in DATA_DIR belongs to another user; remove it, or use another DATA_DIR.`),
    );
  });
});

describe('lockDataDir', () => {
  let sleeper: ChildProcess | undefined;
  afterEach(async () => {
    if (sleeper && sleeper.exitCode === null) {
      sleeper.kill('SIGKILL');
      await once(sleeper, 'exit');
    }
    sleeper = undefined;
  });

  /** A live process whose command line is `args`. */
  async function running(args: string[]): Promise<number> {
    sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], { stdio: 'ignore' });
    await once(sleeper, 'spawn');
    return sleeper.pid as number;
  }

  /** The lock's name, as docs/local-mode.md gives it. */
  const LOCK_FILE = 'server.lock';
  const lockFile = () => join(temp.path, LOCK_FILE);

  it('writes this pid, leaves nothing else behind, and removes the lock on release, once', async () => {
    const lock = await lockDataDir(temp.path);
    expect(await readdir(temp.path)).toEqual([LOCK_FILE]);
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    expect((await stat(lockFile())).mode & 0o777).toBe(0o600);
    lock.release();
    lock.release();
    expect(existsSync(lockFile())).toBe(false);
  });

  it('refuses while another server holds it, adding nothing', async () => {
    const pid = await running(['local/server.ts']);
    await writeFile(lockFile(), `${pid}\n`);
    await expect(lockDataDir(temp.path)).rejects.toEqual(
      new StartupError(`DATA_DIR ${temp.path} is in use by another npm start (pid ${pid}); stop it, or use another DATA_DIR.`),
    );
    expect(await readdir(temp.path)).toEqual([LOCK_FILE]);
    expect(await readFile(lockFile(), 'utf8')).toBe(`${pid}\n`);
  });

  it.each([
    ['a pid that is gone', async () => String(spawnSync(process.execPath, ['-e', '']).pid)],
    ['this process’s own pid, reused after a restart', async () => String(process.pid)],
    ['a live pid running something else', async () => String(await running(['something-else.js']))],
    ['nothing readable', async () => 'garbage'],
  ])('takes over a lock holding %s', async (_, holder) => {
    await writeFile(lockFile(), `${await holder()}\n`);
    const lock = await lockDataDir(temp.path);
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('release leaves a lock that another process has taken since', async () => {
    const lock = await lockDataDir(temp.path);
    await writeFile(lockFile(), '12345\n');
    lock.release();
    expect(await readFile(lockFile(), 'utf8')).toBe('12345\n');
  });
});
