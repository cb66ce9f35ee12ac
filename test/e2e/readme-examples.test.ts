/**
 * The README's curl examples work exactly as printed: every `sh` block of its
 * routes section runs, in order, in one bash session against `npm start`, and
 * each curl's status must be the one its comment names after `→`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROUTES } from '../../src/routes';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EREADME0000000', secretAccessKey: 'readme-secret-0000000000000000000000000' };
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

async function routesSection(): Promise<string> {
  const readme = await readFile(resolve(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf('<!-- section:routes -->');
  const end = readme.indexOf('<!-- /section:routes -->');
  if (start < 0 || end < start) throw new Error('README.md has no routes section');
  return readme.slice(start, end);
}

interface Example {
  code: string;
  /** Every status named in the block's comments, in order: one per curl call. */
  expectedStatuses: number[];
}

function shellExamples(section: string): Example[] {
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, code]) => ({
    code,
    expectedStatuses: code
      .split('\n')
      .filter((line) => line.trimStart().startsWith('#'))
      .flatMap((line) => [...line.matchAll(/→ (\d{3})/g)].map((match) => Number(match[1]))),
  }));
}

/** One bash script: curl reports each status to a log, and each block starts with a marker there. */
function script(examples: Example[], statusLog: string): string {
  return [
    'set -euo pipefail',
    // The last -w wins: every call's status goes to the log, whatever the example prints.
    `curl() { command curl "$@" -w '%{stderr}%{http_code}\\n' 2>>'${statusLog}'; }`,
    ...examples.map((example, index) => `echo 'block ${index}' >>'${statusLog}'\n${example.code}`),
  ].join('\n');
}

function statusesPerBlock(log: string, blocks: number): number[][] {
  const statuses: number[][] = Array.from({ length: blocks }, () => []);
  let current = -1;
  for (const line of log.split('\n')) {
    const marker = /^block (\d+)$/.exec(line);
    if (marker) current = Number(marker[1]);
    else if (/^\d{3}$/.test(line)) statuses[current].push(Number(line));
  }
  return statuses;
}

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-readme');
  server = await startLocalServer({
    DATA_DIR: join(dataDir.path, 'data'),
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

describe('README routes section', () => {
  it('lists every route of the route table', async () => {
    const section = await routesSection();
    for (const route of ROUTES) expect(section).toContain(`| \`${route.method} ${route.path}\` |`);
  });

  it('has curl examples that run as printed and answer the statuses they name', async () => {
    const examples = shellExamples(await routesSection());
    expect(examples.length).toBeGreaterThan(5);
    const statusLog = join(dataDir.path, 'statuses.log');
    const { stdout } = await promisify(execFile)('bash', ['-c', script(examples, statusLog)], {
      env: { ...process.env, API: server.baseUrl, AK: ADMIN.accessKeyId, SK: ADMIN.secretAccessKey, TENANT: 'readme' },
    });
    const actual = statusesPerBlock(await readFile(statusLog, 'utf8'), examples.length);
    expect(actual).toEqual(examples.map((example) => example.expectedStatuses));
    // The session shows the secret once per key it creates, as the examples say, and never a key hash.
    expect(stdout).not.toContain('keyHash');
  });
});
