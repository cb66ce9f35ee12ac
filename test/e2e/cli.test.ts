/**
 * The api-keys CLI as a user runs it: `npx api-keys …` in a clone, no build,
 * against `npm start`, signing with the admin credentials the server printed,
 * put in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const REPOSITORY = resolve(__dirname, '../..');
const BIN = resolve(REPOSITORY, 'bin/api-keys.js');
const PACKAGE_VERSION = (JSON.parse(readFileSync(resolve(REPOSITORY, 'package.json'), 'utf8')) as { version: string }).version;
/** Each case starts the CLI several times, each a Node process compiling TypeScript: slow on a busy machine. */
const CASE_TIMEOUT_MS = 90_000;
const TENANT = 'cli';
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let credentials: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI with `args`, the endpoint and credentials in the environment unless `env` says otherwise.
 * `npx api-keys` runs the package's bin, bin/api-keys.js; most cases run that file directly, sparing npm's start-up.
 */
function apiKeys(
  args: string[],
  env: Record<string, string | undefined> = {},
  via: 'npx' | 'bin' = 'bin',
  input?: string,
): Promise<Run> {
  const environment: Record<string, string | undefined> = {
    ...process.env,
    npm_config_update_notifier: 'false',
    AWS_PROFILE: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_REGION: undefined,
    API_KEYS_ENDPOINT: server.baseUrl,
    ...credentials,
    ...env,
  };
  return new Promise((done) => {
    const [command, commandArgs] = via === 'npx' ? ['npx', ['api-keys', ...args]] : [process.execPath, [BIN, ...args]];
    const child = execFile(
      command,
      commandArgs,
      { cwd: REPOSITORY, env: environment as NodeJS.ProcessEnv },
      (error, stdout, stderr) => {
        done({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-cli');
  server = await startLocalServer({ DATA_DIR: dataDir.path });
  const printed = /export API=\S+ AK=(\S+) SK=(\S+)/.exec(server.output());
  if (!printed) throw new Error(`npm start printed no admin credentials:\n${server.output()}`);
  credentials = { AWS_ACCESS_KEY_ID: printed[1], AWS_SECRET_ACCESS_KEY: printed[2] };
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await dataDir?.remove();
  }
});

describe('npx api-keys', () => {
  it(
    'revoke ends a key by its secret (read from stdin with -, no credentials needed) or by tenant and id',
    async () => {
      const REVOKING = 'cli-revoke';
      const byId = JSON.parse((await apiKeys(['create', '--json', '--tenant', REVOKING, '--name', 'Housekeeping'])).stdout);
      const revoked = await apiKeys(['revoke', '--tenant', REVOKING, '--key-id', byId.id, '--reason', 'unused']);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toMatch(/^status\s+revoked$/m);
      expect(revoked.stdout).toMatch(/^revokedReason\s+unused$/m);

      const leaked = JSON.parse((await apiKeys(['create', '--json', '--tenant', REVOKING, '--name', 'Leaked'])).stdout);
      const noCredentials = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
      const accepted = await apiKeys(['revoke', '--key', '-'], noCredentials, 'bin', `${leaked.key}\n`);
      expect(accepted).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Accepted\. If this is a key of this service/) });
      expect(accepted.stdout).not.toContain(leaked.key);
      expect((await apiKeys(['verify', '--key', leaked.key])).stdout).toMatch(/^code\s+NOT_FOUND$/m);
      expect(JSON.parse((await apiKeys(['get', '--json', '--tenant', REVOKING, '--key-id', leaked.id])).stdout)).toMatchObject({
        status: 'revoked',
        revokedReason: 'leaked',
      });

      const malformed = await apiKeys(['revoke', '--key', 'ak_not_a_key'], noCredentials);
      expect(malformed).toMatchObject({ code: 1, stderr: expect.stringContaining('key: is not a key') });
      expect((await apiKeys(['revoke'])).code).toBe(2);
      expect((await apiKeys(['revoke', '--key', leaked.key, '--tenant', REVOKING])).code).toBe(2);
      expect((await apiKeys(['revoke', '--key', '-'], {}, 'bin', '')).code).toBe(2);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    '--help on the program and on every command, exit 0',
    async () => {
      const help = await apiKeys(['--help'], {}, 'npx');
      expect(help.code).toBe(0);
      for (const command of [
        'create',
        'list',
        'get',
        'update',
        'rotate',
        'delete',
        'audit',
        'verify',
        'plan',
        'set-plan',
        'usage',
      ]) {
        expect(help.stdout).toContain(`  ${command} `);
      }
      const createHelp = await apiKeys(['create', '--help']);
      expect(createHelp).toMatchObject({ code: 0, stdout: expect.stringContaining('--expires-at <instant>') });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'create prints the key with its secret to stdout, once, and the warning to stderr',
    async () => {
      const run = await apiKeys(
        ['create', '--tenant', TENANT, '--name', 'CI', '--scope', 'orders:read', '--scope', 'keys:manage'],
        {},
        'npx',
      );
      expect(run.code).toBe(0);
      const secret = /^key\s+(ak_\S+)$/m.exec(run.stdout)?.[1];
      expect(secret).toMatch(/^ak_[0-9A-Za-z]{38}$/);
      expect(run.stdout.split(secret!)).toHaveLength(2);
      expect(run.stdout).toMatch(/^scopes\s+orders:read keys:manage$/m);
      expect(run.stderr).toContain('shown only this once');
      expect(run.stderr).not.toContain(secret!);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    '--json prints the API’s JSON; the rest of the lifecycle works and reads as tables',
    async () => {
      const created = await apiKeys([
        '--json',
        'create',
        '--tenant',
        TENANT,
        '--name',
        'Worker',
        '--expires-at',
        '2099-01-01T00:00:00Z',
      ]);
      expect(created.code).toBe(0);
      const key = JSON.parse(created.stdout);
      expect(key).toMatchObject({
        tenantId: TENANT,
        name: 'Worker',
        expiresAt: '2099-01-01T00:00:00.000Z',
        key: expect.any(String),
      });
      expect(created.stderr).toContain('shown only this once');

      const listed = await apiKeys(['list', '--tenant', TENANT, '--page-size', '1']);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^ID\s+NAME\s+STATUS/);
      expect(listed.stdout).toMatch(new RegExp(`^${key.id}\\s+Worker\\s+active`, 'm'));
      expect(JSON.parse((await apiKeys(['list', '--tenant', TENANT, '--json'])).stdout)).toHaveLength(2);

      const updated = await apiKeys(['update', '--tenant', TENANT, '--key-id', key.id, '--disable', '--no-expires-at', '--json']);
      expect(JSON.parse(updated.stdout)).toMatchObject({ enabled: false, status: 'disabled', expiresAt: null });
      const read = await apiKeys(['get', '--tenant', TENANT, '--key-id', key.id]);
      expect(read.stdout).toMatch(/^status\s+disabled$/m);
      expect(read.stdout).not.toContain(key.key);

      await apiKeys(['update', '--tenant', TENANT, '--key-id', key.id, '--enable']);
      const rotated = await apiKeys(['rotate', '--tenant', TENANT, '--key-id', key.id, '--grace-period', '3600', '--json']);
      expect(rotated.code).toBe(0);
      expect(JSON.parse(rotated.stdout)).toMatchObject({ rotatedFrom: key.id, key: expect.stringMatching(/^ak_/) });
      expect(rotated.stderr).toContain('shown only this once');

      const deleted = await apiKeys(['delete', '--tenant', TENANT, '--key-id', key.id]);
      expect(deleted).toMatchObject({ code: 0, stdout: `Deleted ${key.id}\n` });

      const trail = await apiKeys(['audit', '--tenant', TENANT, '--key-id', key.id]);
      expect(trail.code).toBe(0);
      expect(trail.stdout).toMatch(/^AT\s+ACTION\s+KEY\s+ACTOR\s+CHANGES/);
      expect(trail.stdout.match(/key\.\w+/g)).toEqual([
        'key.deleted',
        'key.rotated',
        'key.updated',
        'key.updated',
        'key.created',
      ]);
      expect(trail.stdout).toMatch(/key\.updated .*enabled: true → false/);
      const newest = JSON.parse(
        (await apiKeys(['audit', '--json', '--tenant', TENANT, '--key-id', key.id, '--limit', '1'])).stdout,
      );
      expect(newest).toEqual([expect.objectContaining({ action: 'key.deleted', keyId: key.id })]);
      expect((await apiKeys(['audit', '--tenant', TENANT, '--from', 'yesterday'])).code).toBe(1);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'verify answers valid or not, exit 0 either way',
    async () => {
      const { key, id } = JSON.parse(
        (await apiKeys(['create', '--json', '--tenant', TENANT, '--name', 'Check', '--scope', 'a:b', '--meta', 'plan=gold=1']))
          .stdout,
      );
      const valid = await apiKeys(['verify', '--key', key, '--scope', 'a:b']);
      expect(valid.code).toBe(0);
      expect(valid.stdout).toMatch(/^valid\s+true$/m);
      // A value may hold "=": only the first one separates the name.
      expect(valid.stdout).toMatch(/^meta\.plan\s+gold=1$/m);
      const cleared = await apiKeys(['update', '--json', '--tenant', TENANT, '--key-id', id, '--no-meta']);
      expect(JSON.parse(cleared.stdout).meta).toEqual({});
      expect((await apiKeys(['create', '--tenant', TENANT, '--name', 'Bad', '--meta', 'novalue'])).code).toBe(2);
      expect(valid.stdout).toMatch(new RegExp(`^keyId\\s+${id}$`, 'm'));
      expect(valid.stdout).not.toContain(key);
      const wrongScope = await apiKeys(['verify', '--json', '--key', key, '--scope', 'c:d']);
      expect(JSON.parse(wrongScope.stdout)).toEqual({ valid: false, code: 'INSUFFICIENT_SCOPE' });
      expect((await apiKeys(['verify', '--key', 'ak_not_a_real_key'])).stdout).toMatch(/^code\s+NOT_FOUND$/m);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'plan, set-plan and usage read and move a tenant between plans, and read its requests per day',
    async () => {
      expect((await apiKeys(['plan', '--tenant', 'cli-plans'])).stdout).toMatch(/^plan\s+free$/m);
      const moved = await apiKeys(['set-plan', '--json', '--tenant', 'cli-plans', '--plan', 'pro']);
      expect(moved.code).toBe(0);
      expect(JSON.parse(moved.stdout)).toMatchObject({ id: 'cli-plans', plan: 'pro' });
      expect((await apiKeys(['plan', '--tenant', 'cli-plans'])).stdout).toMatch(/^plan\s+pro$/m);
      const unknown = await apiKeys(['set-plan', '--tenant', 'cli-plans', '--plan', 'gold']);
      expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('plan: must be one of the plans: free, pro') });
      const today = new Date().toISOString().slice(0, 10);
      const usage = await apiKeys(['usage', '--tenant', 'cli-plans', '--from', today, '--to', today]);
      expect(usage.stdout).toMatch(new RegExp(`^DATE\\s+REQUESTS\n${today}\\s+0\n$`));
      expect((await apiKeys(['usage', '--json', '--tenant', 'cli-plans'])).stdout).toContain('"items"');
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'exit 1 for an API error, with the problem’s title and detail on stderr',
    async () => {
      const missing = await apiKeys(['get', '--tenant', TENANT, '--key-id', 'key_01JAAAAAAAAAAAAAAAAAAAAAAA'], {}, 'npx');
      expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'Not Found: No such key.\n' });
      const invalid = await apiKeys(['create', '--tenant', TENANT, '--name', 'Bad', '--expires-at', 'tomorrow']);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toMatch(/^Bad Request: The request is not valid\.\n {2}expiresAt: must be an ISO-8601/);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'exit 1 for credentials the API refuses, read as a wrong access key, with where npm start printed the right one',
    async () => {
      const [wrongSecret, unknownKey] = await Promise.all([
        apiKeys(['list', '--tenant', TENANT], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }),
        apiKeys(['list', '--tenant', TENANT], { AWS_ACCESS_KEY_ID: 'AKIANOTTHEADMINKEY00' }),
      ]);
      for (const [run, accessKeyId] of [
        [wrongSecret, credentials.AWS_ACCESS_KEY_ID],
        [unknownKey, 'AKIANOTTHEADMINKEY00'],
      ] as const) {
        expect(run).toMatchObject({ code: 1, stdout: '' });
        expect(run.stderr).toMatch(
          new RegExp(
            `^Forbidden: The request signature is not valid\\.\nThe API does not accept the access key ${accessKeyId}: it is not one the API knows, or its secret access key is wrong\\.`,
          ),
        );
        expect(run.stderr).toContain('"export API=… AK=… SK=…"');
      }
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'exit 1 when the API cannot be reached, naming where it looked and why; --version from package.json',
    async () => {
      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const { port } = closed.address() as AddressInfo;
      closed.close();
      await once(closed, 'close');
      const [refused, version] = await Promise.all([
        apiKeys(['list', '--tenant', TENANT], { API_KEYS_ENDPOINT: `http://127.0.0.1:${port}` }),
        apiKeys(['--version']),
      ]);
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toMatch(
        new RegExp(
          `^Could not reach the API at http://127\\.0\\.0\\.1:${port}: the connection was refused: nothing is listening there \\(ECONNREFUSED\\)\\.\n`,
        ),
      );
      expect(refused.stderr).toContain('API_KEYS_ENDPOINT');
      expect(refused.stderr).not.toMatch(/^\s+at /m);
      expect(version).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'exit 1 without credentials, naming which are missing and where npm start printed them',
    async () => {
      // Nothing else in the SDK's chain may find any: no profile files, no instance or container role.
      const nowhere = {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SHARED_CREDENTIALS_FILE: join(dataDir.path, 'no-credentials'),
        AWS_CONFIG_FILE: join(dataDir.path, 'no-config'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      };
      const [none, noSecret] = await Promise.all([
        apiKeys(['list', '--tenant', TENANT], nowhere),
        apiKeys(['list', '--tenant', TENANT], { ...nowhere, AWS_ACCESS_KEY_ID: credentials.AWS_ACCESS_KEY_ID }),
      ]);
      expect(none).toMatchObject({ code: 1, stdout: '' });
      expect(none.stderr).toMatch(
        /^No AWS credentials to sign the request with: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/,
      );
      expect(none.stderr).toContain('export API_KEYS_ENDPOINT=$API AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK');
      expect(noSecret).toMatchObject({ code: 1, stderr: expect.stringContaining(': AWS_SECRET_ACCESS_KEY is not set') });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'exit 2 for a usage error, with what was wrong on stderr',
    async () => {
      const [missingOption, badNumber, nothingToChange, conflicting, unknownCommand, noEndpoint] = await Promise.all([
        apiKeys(['create', '--tenant', TENANT]),
        apiKeys(['rotate', '--tenant', TENANT, '--key-id', 'k', '--grace-period', 'soon']),
        apiKeys(['update', '--tenant', TENANT, '--key-id', 'k']),
        apiKeys(['update', '--tenant', TENANT, '--key-id', 'k', '--enable', '--disable']),
        apiKeys(['frobnicate'], {}, 'npx'),
        apiKeys(['list', '--tenant', TENANT], { API_KEYS_ENDPOINT: undefined }),
      ]);
      expect(missingOption).toMatchObject({ code: 2, stderr: expect.stringContaining("'--name <name>'") });
      expect(badNumber).toMatchObject({ code: 2, stderr: expect.stringContaining('must be a whole number') });
      expect(nothingToChange).toMatchObject({ code: 2, stderr: expect.stringContaining('Say what to change') });
      expect(conflicting).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot be used with') });
      expect(unknownCommand).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'frobnicate'") });
      expect(noEndpoint).toMatchObject({ code: 2, stderr: expect.stringContaining('--endpoint') });
      const named = await apiKeys(['--endpoint', server.baseUrl, 'list', '--tenant', TENANT], { API_KEYS_ENDPOINT: undefined });
      expect(named.code).toBe(0);
    },
    CASE_TIMEOUT_MS,
  );
});
