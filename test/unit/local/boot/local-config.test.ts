import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN_CREDENTIALS_FILE, resolveAdminCredentials } from '../../../../local/boot/admin-credentials';
import { ConfigError, readLocalConfig } from '../../../../local/boot/local-config';
import { DEFAULT_DEMO_USERS } from '../../../../local/openid/demo-users';

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
  ])('refuses %o', (env) => {
    expect(() => readLocalConfig(env)).toThrow(ConfigError);
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
