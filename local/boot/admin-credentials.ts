import { randomInt } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Credentials } from '../aws/sigv4';

export const ADMIN_CREDENTIALS_FILE = 'admin-credentials.json';

export interface AdminCredentials extends Credentials {
  /** Where they came from: the environment, the file in DATA_DIR, or made just now (and saved there). */
  source: 'environment' | 'stored' | 'generated';
}

const UPPER_ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALPHANUMERIC = `${UPPER_ALPHANUMERIC}abcdefghijklmnopqrstuvwxyz`;

function randomString(alphabet: string, length: number): string {
  let result = '';
  for (let i = 0; i < length; i++) result += alphabet[randomInt(alphabet.length)];
  return result;
}

/** Shaped like AWS credentials (20- and 40-character), but alphanumeric so they paste cleanly into a shell. */
function generateCredentials(): Credentials {
  return { accessKeyId: `AKIA${randomString(UPPER_ALPHANUMERIC, 16)}`, secretAccessKey: randomString(ALPHANUMERIC, 40) };
}

async function readStored(file: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const stored = JSON.parse(text) as Partial<Credentials>;
  if (typeof stored.accessKeyId !== 'string' || typeof stored.secretAccessKey !== 'string') {
    throw new Error(`${file} does not hold accessKeyId and secretAccessKey; delete it to have new credentials made`);
  }
  return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey };
}

/**
 * The admin credentials: from the environment when given, else the ones kept in
 * DATA_DIR, else new ones saved there (readable only by this user) so that a
 * restart keeps them.
 */
export async function resolveAdminCredentials(
  fromEnvironment: Credentials | undefined,
  dataDir: string,
): Promise<AdminCredentials> {
  if (fromEnvironment) return { ...fromEnvironment, source: 'environment' };
  const file = join(dataDir, ADMIN_CREDENTIALS_FILE);
  const stored = await readStored(file);
  if (stored) return { ...stored, source: 'stored' };
  const generated = generateCredentials();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { ...generated, source: 'generated' };
}
