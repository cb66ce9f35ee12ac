/**
 * The README's curl examples work exactly as printed: every `sh` block of its
 * routes section runs, in order, in one bash session against `npm start`, and
 * each curl's status must be the one its comment names after `→`.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROUTES } from '../../src/routes';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const REPOSITORY = resolve(__dirname, '../..');
const ADMIN = { accessKeyId: 'AKIAE2EREADME0000000', secretAccessKey: 'readme-secret-0000000000000000000000000' };
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

async function section(name: string): Promise<string> {
  const readme = await readFile(resolve(REPOSITORY, 'README.md'), 'utf8');
  const start = readme.indexOf(`<!-- section:${name} -->`);
  const end = readme.indexOf(`<!-- /section:${name} -->`);
  if (start < 0 || end < start) throw new Error(`README.md has no ${name} section`);
  return readme.slice(start, end);
}

const routesSection = () => section('routes');

function codeBlocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp(`\`\`\`${language}\n([\\s\\S]*?)\`\`\``, 'g'))].map(([, code]) => code);
}

interface Example {
  code: string;
  /** Every status named in the block's comments, in order: one per curl call. */
  expectedStatuses: number[];
}

function shellExamples(text: string): Example[] {
  return codeBlocks(text, 'sh').map((code) => ({
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
    // The plans a fresh clone runs with: the README's examples must hold under them.
    PLANS_FILE: '',
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
  it('lists every route of the route table, in one table', async () => {
    const lines = (await routesSection()).split('\n');
    const header = lines.findIndex((line) => line.startsWith('| method and path |'));
    const end = lines.findIndex((line, index) => index > header && !line.startsWith('|'));
    const table = lines.slice(header, end).join('\n');
    for (const route of ROUTES) expect(table).toContain(`| \`${route.method} ${route.path}\` |`);
  });

  it('prints the status of every curl call, as its comment names it', async () => {
    for (const { code } of shellExamples(await routesSection())) {
      const calls = code.match(/\bcurl -s\b.*/g) ?? [];
      for (const call of calls) expect(call).toMatch(/^curl -s -w '(\\n|%\{stderr\})%\{http_code\}\\n' /);
    }
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

describe('README client and CLI sections', () => {
  const shellEnvironment = () => ({ ...process.env, API: server.baseUrl, AK: ADMIN.accessKeyId, SK: ADMIN.secretAccessKey });

  it('has a client snippet of at most five lines that creates a key as printed', async () => {
    const [snippet] = codeBlocks(await section('client'), 'ts');
    expect(
      snippet
        .trim()
        .split('\n')
        .filter((line) => line.trim() !== '').length,
    ).toBeLessThanOrEqual(5);
    // The snippet as a back office holds it, its import resolved to this repository's client.
    const workspace = join(dataDir.path, 'back-office');
    await mkdir(workspace);
    await writeFile(join(workspace, 'create-key.mts'), snippet);
    const paths = { 'api-key-service/client': [join(REPOSITORY, 'src/client/index.ts')] };
    await writeFile(join(workspace, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths } }));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', pathToFileURL(join(REPOSITORY, 'node_modules/tsx/dist/loader.mjs')).href, 'create-key.mts'],
      {
        cwd: workspace,
        env: {
          ...shellEnvironment(),
          API_KEYS_ENDPOINT: server.baseUrl,
          AWS_ACCESS_KEY_ID: ADMIN.accessKeyId,
          AWS_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
        },
      },
    );
    expect(stdout).toMatch(/^key_[0-9A-HJKMNP-TV-Z]{26} ak_[0-9A-Za-z]{38}\n$/);
  });

  it('has CLI examples that run as printed', async () => {
    const blocks = codeBlocks(await section('cli'), 'sh');
    expect(blocks.length).toBeGreaterThan(1);
    const { stdout, stderr } = await promisify(execFile)('bash', ['-c', ['set -euo pipefail', ...blocks].join('\n')], {
      cwd: REPOSITORY,
      env: { ...shellEnvironment(), npm_config_update_notifier: 'false' },
    });
    // Three creates and a rotation: each secret once on stdout (the --json ones captured), each warning on stderr.
    expect(stdout.match(/^key\s+ak_\S+$/gm)).toHaveLength(2);
    expect(stderr.match(/shown only this once/g)).toHaveLength(4);
    expect(stdout).toMatch(/^valid\s+true$/m);
    expect(stdout).toMatch(/^name\s+Deploy bot \(prod\)$/m);
    expect(stdout).toMatch(/^rotatedFrom\s+key_/m);
    expect(stdout).toMatch(/^Deleted key_/m);
    expect(stdout).toMatch(/^Accepted\. If this is a key of this service, it is revoked/m);
  }, 120_000); // nine npx runs, each starting npm and then Node
});
