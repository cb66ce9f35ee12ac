/**
 * PLANS_FILE replaces the declared plans: a file that is not a valid declaration
 * stops the start in one line, having made nothing; a valid one is named in the
 * banner; API keys kept in DATA_DIR lose, with a warning, a plan it no longer declares.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLocalServer, startLocalServerExpectingRefusal } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

let temp: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  temp = await makeTempDir('e2e-plans');
});

afterAll(async () => {
  await temp?.remove();
});

it('refuses a PLANS_FILE that is not a valid declaration: one line naming every problem, exit 1, no DATA_DIR made', async () => {
  const file = join(temp.path, 'bad-plans.json');
  await writeFile(file, JSON.stringify({ default: 'gold', plans: { free: { rateLimit: 5, burstLimit: 0 } } }));
  const dataDir = join(temp.path, 'refused');
  const refused = await startLocalServerExpectingRefusal({ PLANS_FILE: file, DATA_DIR: dataDir });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe(
    `Configuration error: PLANS_FILE: ${file}: plans.free.burstLimit must be an integer from 1 to 5000; ${file}: "default" must name one of the plans (free)\n`,
  );
  expect(existsSync(dataDir)).toBe(false);
});

it('refuses a PLANS_FILE that does not exist', async () => {
  const file = join(temp.path, 'missing.json');
  const refused = await startLocalServerExpectingRefusal({ PLANS_FILE: file, DATA_DIR: join(temp.path, 'missing') });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe(`Configuration error: PLANS_FILE: cannot read ${file}: ENOENT\n`);
});

it('names the plans in effect, and drops with a warning the memberships of a plan no longer declared', async () => {
  const file = join(temp.path, 'plans.json');
  await writeFile(
    file,
    JSON.stringify({
      default: 'basic',
      plans: { basic: { rateLimit: 2, burstLimit: 4, quota: { limit: 50, period: 'MONTH' } } },
    }),
  );
  const dataDir = join(temp.path, 'data');
  await mkdir(dataDir, { mode: 0o700 });
  const keysFile = join(dataDir, 'api-gateway-keys.json');
  // What an earlier run with the default plans left: a tenant's API key in the usage plan of "pro".
  const apiKey = {
    id: 'abcde12345',
    name: 'local/acme',
    value: 'x'.repeat(43),
    enabled: true,
    createdDate: 1,
    lastUpdatedDate: 1,
  };
  await writeFile(keysFile, JSON.stringify({ apiKeys: [apiKey], planKeys: { 'local-free': [], 'local-pro': [apiKey.id] } }), {
    mode: 0o600,
  });
  const server = await startLocalServer({ PLANS_FILE: file, DATA_DIR: dataDir });
  try {
    expect(server.output()).toContain(`Plans (PLANS_FILE ${file}): basic (default) 2/s burst 4, 50/month`);
    expect(server.output()).toContain('Warning: Dropped 1 API key(s) from usage plan local-pro');
    // A file of an earlier version, which kept no stages: the plan in effect covers both local stages.
    expect(JSON.parse(await readFile(keysFile, 'utf8'))).toEqual({
      apiKeys: [apiKey],
      planKeys: { 'local-basic': [] },
      planStages: { 'local-basic': ['local:v1', 'orders:v1'] },
      deployedStages: ['local:v1', 'orders:v1'],
    });
  } finally {
    expect(await server.stop()).toBe(0);
  }
});
