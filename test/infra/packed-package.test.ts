/**
 * The repository as another CDK app meets it: packed once with `npm pack`, checked
 * by publint and arethetypeswrong, then installed from the tarball into a new CDK
 * app made exactly as docs/construct.md says (its shell blocks run as printed, its
 * tsconfig.json and TypeScript blocks written where it says), type-checked against
 * the published declarations and synthesized, Lambda bundling included.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir } from '../support/temp-dir';

const REPOSITORY = resolve(__dirname, '../..');
const PACKAGE = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as { name: string; version: string };
const TIMEOUT_MS = 300_000;

/** What the app adds beyond the guide: a back office's use of the client, type-checked with the rest. */
const CLIENT_USE = `import { ApiKeyServiceClient, type IssuedApiKey } from '${PACKAGE.name}/client';

export const issue = (client: ApiKeyServiceClient): Promise<IssuedApiKey> => client.createKey('acme', { name: 'CI' });
`;

/** The code blocks in `language` of docs/construct.md between `<!-- section:{name} -->` and its end. */
function guideBlocks(name: string, language: string): string[] {
  const guide = readFileSync(join(REPOSITORY, 'docs/construct.md'), 'utf8');
  const section = guide.slice(guide.indexOf(`<!-- section:${name} -->`), guide.indexOf(`<!-- /section:${name} -->`));
  return [...section.matchAll(new RegExp(`\`\`\`${language}\n([\\s\\S]*?)\`\`\``, 'g'))].map(([, code]) => code);
}

let workspace: Awaited<ReturnType<typeof makeTempDir>>;
let tarball: string;
let appDir: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_prefer_offline: 'true',
    },
  });
}

/** A shell block of the guide, as a user pastes it: one bash, stopping at the first command that fails. */
const runBlock = (code: string, cwd: string) => run('bash', ['-euo', 'pipefail', '-c', code], cwd);

beforeAll(async () => {
  workspace = await makeTempDir('packed-package');
  run('npm', ['pack', '--silent', '--pack-destination', workspace.path], REPOSITORY);
  const packed = readdirSync(workspace.path).find((name) => name.endsWith('.tgz'));
  if (!packed) throw new Error('npm pack wrote no tarball');
  tarball = join(workspace.path, packed);
  // The guide names the tarball: a new version must be named there too.
  expect(packed).toBe(`${PACKAGE.name}-${PACKAGE.version}.tgz`);

  const [setup] = guideBlocks('new-app', 'sh');
  runBlock(setup, workspace.path);
  appDir = join(workspace.path, 'shop');
  const [tsconfig] = guideBlocks('new-app', 'json');
  const [stacks, handler] = guideBlocks('construct', 'ts');
  writeFileSync(join(appDir, 'tsconfig.json'), tsconfig);
  writeFileSync(join(appDir, 'bin/shop.ts'), stacks);
  writeFileSync(join(appDir, 'src/orders.ts'), handler);
  writeFileSync(join(appDir, 'src/back-office.ts'), CLIENT_USE);
}, TIMEOUT_MS);

afterAll(async () => workspace?.remove());

/** A checker's verdict on the tarball: its exit status, and its report to show when it fails. */
function check(bin: string, args: string[]): { status: number | null; report: string } {
  const result = spawnSync(join(REPOSITORY, 'node_modules/.bin', bin), args, { cwd: REPOSITORY, encoding: 'utf8' });
  return { status: result.status, report: `${result.stdout}${result.stderr}` };
}

describe('the packed package', () => {
  it('passes publint', () => {
    expect(check('publint', [tarball])).toEqual({ status: 0, report: expect.stringContaining('All good!') });
  });

  it('has declarations that resolve as its JavaScript does, for node16 and for bundlers (arethetypeswrong)', () => {
    // The console is a browser component, and lit an ES module only, so it is one too: CommonJS reaches it with import().
    const verdict = check('attw', ['--pack', tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm']);
    expect(verdict).toEqual({ status: 0, report: expect.stringContaining('"api-key-service/console"') });
    expect(verdict.report).toContain('No problems found');
  });
});

describe('the packed package, installed into a new CDK app made as docs/construct.md says', () => {
  it('ships the compiled construct, the console as JavaScript with declarations, and the license; nothing local-only', () => {
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
        'dist/src/console-bundle.js',
        'dist/console/api-key-console.mjs',
        'dist/console/api-key-console.d.mts',
        'dist/console/favicon.svg',
      ]),
    );
    expect(files.filter((file) => /\.[mc]?ts$/.test(file) && !/\.d\.[mc]?ts$/.test(file))).toEqual([]);
    expect(files.some((file) => file.startsWith('local') || file.startsWith('test') || file.startsWith('console'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    for (const localOnly of ['dynalite', 'tsx', 'aws-cdk-lib', 'constructs', 'cdk-nag']) {
      expect(manifest.dependencies).not.toHaveProperty(localOnly);
    }
  });

  it('runs the api-keys bin from its compiled JavaScript, which knows its version', () => {
    const bin = join(appDir, 'node_modules/.bin/api-keys');
    const help = run(bin, ['--help'], appDir);
    expect(help).toContain('Usage: api-keys');
    expect(help).toContain('verify [options]');
    expect(run(bin, ['--version'], appDir)).toBe(`${PACKAGE.version}\n`);
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

  it(
    'type-checks and synthesizes as the guide prints it: the service, and the API it protects, every function bundled',
    () => {
      const [check] = guideBlocks('synth', 'sh');
      runBlock(check, appDir);
      type Template = {
        Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }>;
      };
      const template = (stack: string) =>
        JSON.parse(readFileSync(join(appDir, 'cdk.out', `${stack}.template.json`), 'utf8')) as Template;
      const functionsOf = (stack: string) =>
        Object.values(template(stack).Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      const bundleOf = (fn: { Metadata?: Record<string, string> }) =>
        readdirSync(join(appDir, 'cdk.out', fn.Metadata?.['aws:asset:path'] ?? 'missing'));

      const service = functionsOf('Keys');
      expect(service.length).toBeGreaterThanOrEqual(8);
      for (const fn of service) {
        expect(fn.Properties.Runtime).toBe('nodejs24.x');
        expect(bundleOf(fn)).toContain('index.mjs');
      }
      const [orders] = functionsOf('Orders');
      expect(bundleOf(orders)).toContain('index.js');
      const methods = Object.values(template('Orders').Resources).filter(
        (resource) => resource.Type === 'AWS::ApiGateway::Method' && resource.Properties.HttpMethod !== 'OPTIONS',
      );
      expect(methods).toHaveLength(4);
      for (const method of methods)
        expect(method.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true });
    },
    TIMEOUT_MS,
  );
});
