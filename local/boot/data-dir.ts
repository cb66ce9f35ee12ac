import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from './startup-error';

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
