import { readFileSync, unlinkSync } from 'node:fs';
import { chmod, link, lstat, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from './startup-error';

/** In DATA_DIR while a server uses it: that server's pid. */
const LOCK_FILE = 'server.lock';

/** Permission bits for group and others: none may be set on DATA_DIR or on anything in it. */
const SHARED_BITS = 0o077;

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * DATA_DIR, ready for this user only: made with mode 0700 if it is missing, and
 * refused if it is not a directory of this user's. Nothing in it is looked at yet.
 */
export async function ensureDataDir(path: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
    await mkdir(path, { recursive: true, mode: 0o700 });
    return;
  }
  if (!info.isDirectory()) throw new StartupError(`DATA_DIR ${path} is not a directory.`);
  if (info.uid !== process.getuid?.()) {
    throw new StartupError(`DATA_DIR ${path} belongs to another user; use a directory of your own.`);
  }
}

/** Every entry under `root`, depth first, without following symbolic links. */
async function entriesUnder(root: string): Promise<{ path: string; mode: number; uid: number; isLink: boolean }[]> {
  const found: { path: string; mode: number; uid: number; isLink: boolean }[] = [];
  for (const name of await readdir(root)) {
    const path = join(root, name);
    const info = await lstat(path);
    found.push({ path, mode: info.mode & 0o7777, uid: info.uid, isLink: info.isSymbolicLink() });
    if (info.isDirectory()) found.push(...(await entriesUnder(path)));
  }
  return found;
}

/**
 * Takes group and other permissions off DATA_DIR and everything in it, as an
 * older version or another tool may have left them; refuses anything in it that
 * belongs to another user, who could have put it there while it was open.
 * Answers whether anything had to change.
 */
export async function makeDataDirPrivate(path: string): Promise<boolean> {
  const uid = process.getuid?.();
  const root = await stat(path);
  const entries = [{ path, mode: root.mode & 0o7777, uid: root.uid, isLink: false }, ...(await entriesUnder(path))];
  const foreign = entries.find((entry) => entry.uid !== uid);
  if (foreign) throw new StartupError(`${foreign.path} in DATA_DIR belongs to another user; remove it, or use another DATA_DIR.`);
  let changed = false;
  for (const entry of entries) {
    if (entry.isLink || (entry.mode & SHARED_BITS) === 0) continue;
    await chmod(entry.path, entry.mode & ~SHARED_BITS);
    changed = true;
  }
  return changed;
}

export interface DataDirLock {
  /** Removes the lock file, if it is still this process's; safe to call more than once. */
  release(): void;
}

/**
 * Whether `pid` is another process running local mode. A pid that is gone, or
 * that this very process has now (in a container each start may get the same
 * one), or that runs something else (where /proc tells), was reused after the
 * server that took the lock died.
 */
function isAnotherServer(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false; // gone, or another user's: not a server of this user's
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('local/server.ts');
  } catch {
    return true; // no /proc to ask: a live pid may well be the server
  }
}

async function lockHolder(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Takes DATA_DIR for this process: creates server.lock holding this pid, or
 * refuses while the pid in an existing one is another running server; a lock
 * left by a server that died is taken over. The lock is linked into place whole,
 * so nobody reads it half written, and is removed when this process exits.
 * Two starts racing for a dead server's lock could both take it; the embedded
 * store's own LevelDB lock still lets only one of them open it.
 */
export async function lockDataDir(path: string): Promise<DataDirLock> {
  const file = join(path, LOCK_FILE);
  const draft = join(path, `${LOCK_FILE}.${process.pid}`);
  const content = `${process.pid}\n`;
  await writeFile(draft, content, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(draft, file);
        const release = () => {
          process.off('exit', release);
          try {
            if (readFileSync(file, 'utf8') === content) unlinkSync(file);
          } catch {
            // gone already
          }
        };
        process.on('exit', release);
        return { release };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await lockHolder(file);
      if (holder !== undefined && isAnotherServer(holder)) {
        throw new StartupError(
          `DATA_DIR ${path} is in use by another npm start (pid ${holder}); stop it, or use another DATA_DIR.`,
        );
      }
      await rm(file, { force: true }); // left by a server that died
    }
    throw new StartupError(`DATA_DIR ${path} is being taken by another npm start just now; stop it, or use another DATA_DIR.`);
  } finally {
    await rm(draft, { force: true });
  }
}
