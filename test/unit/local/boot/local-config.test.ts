import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN_CREDENTIALS_FILE, resolveAdminCredentials } from '../../../../local/boot/admin-credentials';
import { ConfigError, readLocalConfig } from '../../../../local/boot/local-config';
import { DEFAULT_DEMO_USERS } from '../../../../local/openid/demo-users';
import { DECLARED_PLANS } from '../../../../src/declared-plans';

describe('readLocalConfig', () => {
  it('has the documented defaults', () => {
    expect(readLocalConfig({})).toEqual({
      port: 3000,
      dataDir: resolve('.local'),
      tableName: 'api-keys',
      tenantTableName: 'api-key-tenants',
      keyPrefix: 'ak',
      region: 'us-east-1',
      dynamoDbEndpoint: undefined,
      authorizerCacheTtlSeconds: 300,
      adminCredentials: undefined,
      console: {
        openIdPort: 3001,
        users: DEFAULT_DEMO_USERS,
        scopes: ['orders:read', 'orders:write'],
        tenantClaim: 'custom:tenant',
        frameAncestors: "'none'",
      },
      plans: DECLARED_PLANS,
      reconcileIntervalSeconds: 300,
      expiryWarningSeconds: 604800,
    });
    expect(new Set(DEFAULT_DEMO_USERS.map((user) => user.tenant)).size).toBeGreaterThanOrEqual(2);
  });

  it('reads every setting', () => {
    const config = readLocalConfig({
      PORT: '0',
      DATA_DIR: '/tmp/x',
      TABLE_NAME: 'keys',
      TENANT_TABLE_NAME: 'tenants',
      KEY_PREFIX: 'zk_test',
      AWS_REGION: 'eu-west-1',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      AUTHORIZER_CACHE_TTL_SECONDS: '0',
      ADMIN_ACCESS_KEY_ID: 'AK',
      ADMIN_SECRET_ACCESS_KEY: 'SK',
      RECONCILE_INTERVAL_SECONDS: '2',
      EXPIRY_WARNING_SECONDS: '90',
    });
    expect(config).toEqual({
      port: 0,
      dataDir: '/tmp/x',
      tableName: 'keys',
      tenantTableName: 'tenants',
      keyPrefix: 'zk_test',
      region: 'eu-west-1',
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      authorizerCacheTtlSeconds: 0,
      adminCredentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      console: expect.objectContaining({ openIdPort: 0 }),
      plans: DECLARED_PLANS,
      reconcileIntervalSeconds: 2,
      expiryWarningSeconds: 90,
    });
  });

  it('reads the console settings and its users file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'console-users-'));
    try {
      const file = join(dir, 'users.json');
      await writeFile(file, JSON.stringify([{ email: 'eve@initech.example', password: 'pw', tenant: 'initech' }]));
      expect(
        readLocalConfig({
          PORT: '4000',
          CONSOLE_USERS_FILE: file,
          CONSOLE_SCOPES: ' keys:manage  orders:read ',
          CONSOLE_TENANT_CLAIM: 'org',
          CONSOLE_FRAME_ANCESTORS: "'self' https://app.example",
        }).console,
      ).toEqual({
        openIdPort: 4001,
        users: [{ email: 'eve@initech.example', password: 'pw', tenant: 'initech' }],
        scopes: ['keys:manage', 'orders:read'],
        tenantClaim: 'org',
        frameAncestors: "'self' https://app.example",
      });
      expect(readLocalConfig({ OPENID_PORT: '4100' }).console.openIdPort).toBe(4100);
      for (const users of [
        [],
        [{ email: 'x', password: 'p', tenant: 'a' }],
        [{ email: 'a@b.c', password: 'p', tenant: '../x' }],
        'no',
      ]) {
        await writeFile(file, JSON.stringify(users));
        expect(() => readLocalConfig({ CONSOLE_USERS_FILE: file })).toThrow(ConfigError);
      }
      const twice = { email: 'a@b.c', password: 'p', tenant: 'a' };
      await writeFile(file, JSON.stringify([twice, { ...twice, email: 'A@b.c' }]));
      expect(() => readLocalConfig({ CONSOLE_USERS_FILE: file })).toThrow('twice');
      await writeFile(file, '{');
      expect(() => readLocalConfig({ CONSOLE_USERS_FILE: file })).toThrow(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ PORT: '70000' }],
    [{ PORT: 'http' }],
    [{ AUTHORIZER_CACHE_TTL_SECONDS: '3601' }],
    [{ KEY_PREFIX: 'Bad-Prefix' }],
    [{ DYNAMODB_ENDPOINT: 'localhost' }],
    [{ ADMIN_ACCESS_KEY_ID: 'AK' }],
    [{ CONSOLE_SCOPES: 'Orders:Read' }],
    [{ OPENID_PORT: '-1' }],
    [{ RECONCILE_INTERVAL_SECONDS: '0' }],
    [{ EXPIRY_WARNING_SECONDS: '59' }],
    [{ EXPIRY_WARNING_SECONDS: '31622401' }],
  ])('refuses %o', (env) => {
    expect(() => readLocalConfig(env)).toThrow(ConfigError);
  });
});

describe('GITHUB_SECRET_SCANNING_KEYS_FILE', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'github-keys-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is taken, absolute, when it holds GitHub's keys in GitHub's format", async () => {
    const file = join(dir, 'keys.json');
    await writeFile(file, JSON.stringify({ public_keys: [{ key_identifier: 'k', key: 'PEM', is_current: true }] }));
    expect(readLocalConfig({ GITHUB_SECRET_SCANNING_KEYS_FILE: file }).gitHubKeysFile).toBe(file);
    expect(readLocalConfig({})).not.toHaveProperty('gitHubKeysFile');
  });

  it.each([
    ['missing', undefined],
    ['not JSON', 'public_keys'],
    ["not GitHub's format", JSON.stringify({ keys: [] })],
  ])('refuses a file %s, naming it', async (_case, text) => {
    const file = join(dir, 'keys.json');
    if (text !== undefined) await writeFile(file, text);
    expect(() => readLocalConfig({ GITHUB_SECRET_SCANNING_KEYS_FILE: file })).toThrow(
      new RegExp(`GITHUB_SECRET_SCANNING_KEYS_FILE: ${file}`),
    );
  });
});

describe('PLANS_FILE', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plans-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('replaces the declared plans with the file’s', async () => {
    const file = join(dir, 'plans.json');
    const declaration = {
      default: 'tiny',
      plans: { tiny: { rateLimit: 1, burstLimit: 1, quota: { limit: 3, period: 'WEEK' } } },
    };
    await writeFile(file, JSON.stringify(declaration));
    expect(readLocalConfig({ PLANS_FILE: file })).toMatchObject({ plans: declaration, plansFile: file });
  });

  it('refuses a file that is missing, not JSON, or not a valid declaration, in one line naming the file and every problem', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ default: 'gold', plans: { free: { rateLimit: 0, burstLimit: 10 } } }));
    const notJson = join(dir, 'not.json');
    await writeFile(notJson, '{"default":');
    const refusal = (file: string) => {
      try {
        readLocalConfig({ PLANS_FILE: file });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal(bad)).toBe(
      `PLANS_FILE: ${bad}: plans.free.rateLimit must be an integer from 1 to 10000; ${bad}: "default" must name one of the plans (free)`,
    );
    expect(refusal(notJson)).toMatch(new RegExp(`^PLANS_FILE: ${notJson} is not JSON: `));
    expect(refusal(join(dir, 'missing.json'))).toBe(`PLANS_FILE: cannot read ${join(dir, 'missing.json')}: ENOENT`);
    for (const message of [refusal(bad), refusal(notJson)]) expect(message).not.toContain('\n');
  });
});

describe('resolveAdminCredentials', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'admin-credentials-')), 'data');
  });
  afterEach(() => rm(resolve(dataDir, '..'), { recursive: true, force: true }));

  it('uses credentials from the environment and writes nothing', async () => {
    await expect(resolveAdminCredentials({ accessKeyId: 'AK', secretAccessKey: 'SK' }, dataDir)).resolves.toEqual({
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      source: 'environment',
    });
    await expect(stat(dataDir)).rejects.toThrow();
  });

  it('makes credentials once, saves them readable only by the owner, and reuses them', async () => {
    const generated = await resolveAdminCredentials(undefined, dataDir);
    expect(generated).toMatchObject({ source: 'generated', accessKeyId: expect.stringMatching(/^AKIA[A-Z0-9]{16}$/) });
    expect(generated.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    const file = join(dataDir, ADMIN_CREDENTIALS_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      accessKeyId: generated.accessKeyId,
      secretAccessKey: generated.secretAccessKey,
    });
    await expect(resolveAdminCredentials(undefined, dataDir)).resolves.toEqual({ ...generated, source: 'stored' });
  });
});
