/**
 * `npm start` and the `api-keys` CLI run on Node.js 22 and later (`engines`), and
 * refuse an older one in one line, with a non-zero exit, before doing anything:
 * run here with the machine's own older Node, as a user with an old PATH would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startLocalServerExpectingRefusal } from '../support/local-server-process';
import { olderNode } from '../support/prerequisites';
import { makeTempDir } from '../support/temp-dir';

const OLD_NODE = olderNode();
const describeWithOlderNode = OLD_NODE ? describe : describe.skip;
const REFUSAL = /^Node\.js 22 or later is needed, and this is Node\.js \d+\.\d+\.\d+: install Node\.js 22 or 24\.\n$/;

let temp: Awaited<ReturnType<typeof makeTempDir>>;
/** A PATH whose `node` is the older one, ahead of everything else. */
let oldPath: string;

beforeAll(async () => {
  if (!OLD_NODE) return;
  temp = await makeTempDir('e2e-node-version');
  await symlink(OLD_NODE, join(temp.path, 'node'));
  oldPath = `${temp.path}:${process.env.PATH}`;
});

afterAll(() => temp?.remove());

describeWithOlderNode('on a Node.js older than 22', () => {
  it('npm start says so in one line on stderr, exits 1, and makes nothing', async () => {
    const dataDir = join(temp.path, 'data');
    const refused = await startLocalServerExpectingRefusal({ PATH: oldPath, DATA_DIR: dataDir });
    expect(refused.stderr).toMatch(REFUSAL);
    expect(refused.code).toBe(1);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('the CLI says so in one line on stderr, exits 1, and prints nothing else', () => {
    const run = spawnSync(OLD_NODE as string, [resolve(__dirname, '../../bin/api-keys.js'), '--help'], { encoding: 'utf8' });
    expect(run.stderr).toMatch(REFUSAL);
    expect(run.stdout).toBe('');
    expect(run.status).toBe(1);
  });
});
