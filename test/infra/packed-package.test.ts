/**
 * The repository as another CDK app meets it: packed with `npm pack`, installed
 * from the tarball into a fresh app outside the repository, used there to
 * protect that app's own method, type-checked against the published .d.ts, and
 * synthesized, Lambda bundling included.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir } from '../support/temp-dir';

const REPOSITORY = resolve(__dirname, '../..');
const PACKAGE = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const TIMEOUT_MS = 300_000;

const CONSUMER_APP = `import { App, Stack } from 'aws-cdk-lib';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { ApiKeyService, type ApiKeyServiceProps, MethodAccess } from '${PACKAGE.name}';
import { ApiKeyServiceClient, type IssuedApiKey } from '${PACKAGE.name}/client';

const props: ApiKeyServiceProps = { keyPrefix: 'shop' };
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Shop');
const keys = new ApiKeyService(stack, 'Keys', props);
const api = new RestApi(stack, 'Orders', { cloudWatchRole: false });
keys.protectRestApi(api).addMethod(api.root.addResource('orders'), 'GET', new MockIntegration(), MethodAccess.scope('orders:read'));
app.synth();

// The client's declarations, checked with the app's: nothing is sent.
export const issue = (client: ApiKeyServiceClient): Promise<IssuedApiKey> => client.createKey('acme', { name: 'CI' });
`;

let workspace: Awaited<ReturnType<typeof makeTempDir>>;
let appDir: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
}

beforeAll(async () => {
  workspace = await makeTempDir('packed-package');
  appDir = join(workspace.path, 'shop');
  run('npm', ['pack', '--silent', '--pack-destination', workspace.path], REPOSITORY);
  const tarball = readdirSync(workspace.path).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  run('mkdir', ['-p', appDir], workspace.path);
  writeFileSync(
    join(appDir, 'package.json'),
    JSON.stringify({
      name: 'shop',
      private: true,
      dependencies: {
        [PACKAGE.name]: `file:../${tarball}`,
        'aws-cdk-lib': PACKAGE.devDependencies['aws-cdk-lib'],
        constructs: PACKAGE.devDependencies.constructs,
      },
    }),
  );
  writeFileSync(join(appDir, 'app.ts'), CONSUMER_APP);
  writeFileSync(
    join(appDir, 'tsconfig.json'),
    JSON.stringify({
      // skipLibCheck stays off, so the package's own declarations are checked too.
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node',
        strict: true,
        esModuleInterop: true,
        outDir: 'out',
        types: ['node'],
        typeRoots: [join(REPOSITORY, 'node_modules/@types')],
      },
      files: ['app.ts'],
    }),
  );
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], appDir);
}, TIMEOUT_MS);

afterAll(async () => workspace?.remove());

describe('the packed package, installed into another CDK app', () => {
  it('ships the compiled construct, its .d.ts and the license, and nothing local-only', () => {
    const installed = join(appDir, 'node_modules', PACKAGE.name);
    const files = readdirSync(installed, { recursive: true }).map(String);
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'bin/api-keys.js',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lambdas/authorizer.js',
        'dist/src/client/index.d.ts',
        'dist/src/cli/main.js',
      ]),
    );
    // TypeScript only where esbuild reads it at synth time: the console's browser sources, and the route table they call by.
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('console/'))).toEqual([
      'src/routes.ts',
    ]);
    expect(files).toEqual(
      expect.arrayContaining(['console/api-key-console.ts', 'console/tsconfig.json', 'dist/src/console-bundle.js']),
    );
    expect(files.some((file) => file.startsWith('local') || file.startsWith('test'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    for (const localOnly of ['dynalite', 'tsx', 'aws-cdk-lib', 'constructs', 'cdk-nag']) {
      expect(manifest.dependencies).not.toHaveProperty(localOnly);
    }
  });

  it('runs the api-keys bin from its compiled JavaScript', () => {
    const help = run(join(appDir, 'node_modules/.bin/api-keys'), ['--help'], appDir);
    expect(help).toContain('Usage: api-keys');
    expect(help).toContain('verify [options]');
  });

  it('exports the client without the CDK: api-key-service/client loads no aws-cdk-lib', () => {
    const script =
      "const client = require('" +
      PACKAGE.name +
      "/client'); const cdk = Object.keys(require.cache).filter((file) => file.includes('aws-cdk-lib'));" +
      'console.log(JSON.stringify({ exports: Object.keys(client).sort(), cdk }));';
    expect(JSON.parse(run(process.execPath, ['-e', script], appDir))).toEqual({
      exports: ['ApiKeyServiceClient', 'ApiProblemError', 'RequestTimeoutError', 'SelfServiceClient'],
      cdk: [],
    });
  });

  it('type-checks against the published declarations', () => {
    expect(() => run(process.execPath, [join(REPOSITORY, 'node_modules/typescript/bin/tsc'), '-p', '.'], appDir)).not.toThrow();
  });

  it(
    'synthesizes an app that protects its own method, bundling every Lambda from the package',
    () => {
      run(process.execPath, ['out/app.js'], appDir);
      const template = JSON.parse(readFileSync(join(appDir, 'cdk.out', 'Shop.template.json'), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }>;
      };
      const resources = Object.values(template.Resources);
      const functions = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(8);
      for (const fn of functions) expect(fn.Properties.Runtime).toBe('nodejs24.x');
      const orders = resources.find(
        (resource) =>
          resource.Type === 'AWS::ApiGateway::Method' && JSON.stringify(resource.Properties.RestApiId).includes('Orders'),
      );
      expect(orders?.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
      const bundles = readdirSync(join(appDir, 'cdk.out')).filter((name) => name.startsWith('asset.'));
      expect(bundles.length).toBeGreaterThan(0);
      for (const bundle of bundles) expect(readdirSync(join(appDir, 'cdk.out', bundle))).toContain('index.mjs');
    },
    TIMEOUT_MS,
  );
});
