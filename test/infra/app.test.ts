import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type App, Validations } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../bin/service-app';
import type { ApiKeyServiceStack } from '../../lib/api-key-service-stack';
import { HANDLERS, type HandlerName } from '../../src/routes';
import { standInEnvironment } from '../support/stand-in-environment';
import { BUNDLING_SYNTH_TIMEOUT_MS, logicalId, SYNTH_TIMEOUT_MS, testApp } from './helpers';

interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string; severity: string }[] }[];
}

/** All of a bundle's modules, the entry and its chunks, as one text. */
function modulesOf(directory: string): string {
  return fs
    .readdirSync(directory)
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => fs.readFileSync(path.join(directory, file), 'utf8'))
    .join('\n');
}

/** The one synth in the suite that really bundles, as `npx cdk synth` does. */
let app: App;
let assembly: CloudAssembly;
let stackArtifactId: string;
let serviceStack: ApiKeyServiceStack;

beforeAll(() => {
  // The CLI turns asset metadata on; the bundle tests below find each function's bundle through it.
  app = testApp({ bundling: true, context: { 'aws:cdk:enable-asset-metadata': true } });
  serviceStack = buildApp(app).service;
  stackArtifactId = serviceStack.artifactId;
  // cdk-nag runs as a policy-validation plugin here: any unacknowledged finding throws.
  assembly = app.synth();
}, BUNDLING_SYNTH_TIMEOUT_MS);

describe('the CDK app', () => {
  it('passes cdk-nag AwsSolutions with no finding left, error or warning', () => {
    // What synth reported (it lists only plugins that found something)...
    const report = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
    // ...and the pack run directly over the same tree, acknowledgments applied.
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  });

  it('acknowledges IAM5 only for the flush schedules of its own group, on the roles of the handlers and the warner that create them, and ListStreams on the audit delivery', () => {
    const { service } = serviceStack;
    const group = service.cacheFlush.scheduleGroup.scheduleGroupName;
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason });
        }
      }
    }
    const wildcards = acknowledged.filter(({ id }) => id.startsWith('AwsSolutions-IAM5'));
    const [usagePlanKeys, schedules, listStreams] = [
      wildcards.filter(({ id }) => id.includes(':apigateway:')),
      wildcards.filter(({ id }) => id.includes(':scheduler:')),
      wildcards.filter(({ id }) => id === 'AwsSolutions-IAM5[Resource::*]'),
    ];
    // Lambda's stream poller calls ListStreams, which authorizes on no resource.
    expect(listStreams.map(({ path }) => path)).toEqual([service.auditTrail.deliveryFunction.role?.node.path]);
    expect(listStreams[0].reason).toContain('dynamodb:ListStreams');
    expect(wildcards).toHaveLength(usagePlanKeys.length + schedules.length + listStreams.length);
    const rolesOf = (names: string[]) => names.map((name) => service.handlers[name as HandlerName].role!.node.path).sort();
    const schedulers = Object.entries(HANDLERS).filter(([, definition]) => definition.invalidation.includes('flushAt'));
    // And the expiry warner, which schedules a key's warning again in the same group.
    expect(schedules.map(({ path }) => path).sort()).toEqual(
      [...rolesOf(schedulers.map(([name]) => name)), service.expiryWarnings.warnerFunction.role!.node.path].sort(),
    );
    // DeleteUsagePlanKey names a tenant's API Gateway key, made at run time: one acknowledgement per usage plan, on the
    // functions that arrange tenants' keys and on the reconciler, which finishes their moves.
    const arrangers = Object.entries(HANDLERS).filter(([, definition]) => definition.usagePlans.includes('arrangeKeys'));
    const plans = Object.values(service.usagePlans.usagePlans);
    const reconciler = service.usagePlans.reconcilerFunction.role!.node.path;
    expect(usagePlanKeys.map(({ path }) => path).sort()).toEqual(
      [...rolesOf(arrangers.flatMap(([name]) => plans.map(() => name))), ...plans.map(() => reconciler)].sort(),
    );
    for (const { id, reason } of usagePlanKeys) {
      expect(id).toMatch(
        /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::\/usageplans\/<[A-Za-z0-9]+>\/keys\/\*\]$/,
      );
      expect(reason).toMatch(/made at run time/);
    }
    for (const { id, reason } of schedules) {
      expect(id).toBe(
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${group}/*]`,
      );
      expect(reason).toMatch(/run time/);
      expect(reason).toContain('one of each per key (flush-{keyId}, warn-{keyId})');
    }
  });

  it(
    'fails synth on an unacknowledged cdk-nag error',
    () => {
      const failing = testApp();
      const stack = buildApp(failing).service;
      new LambdaFunction(stack, 'Outdated', {
        runtime: Runtime.NODEJS_20_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => {};'),
      });
      expect(() => failing.synth()).toThrow(/AwsSolutions-L1/);
    },
    SYNTH_TIMEOUT_MS,
  );

  describe('bundles each Lambda with esbuild', () => {
    const functions = () =>
      Object.values(assembly.getStackArtifact(stackArtifactId).template.Resources as Record<string, any>).filter(
        (resource) => resource.Type === 'AWS::Lambda::Function',
      );
    const bundles = () => functions().map((resource) => path.join(assembly.directory, resource.Metadata['aws:asset:path']));

    it('into minified ES modules, each with its source map, one bundle per function', () => {
      // The handlers, the two authorizers, the flusher, the expiry warner, the audit delivery and sweeper, and the usage
      // plans' stage link (one asset in both stacks) and reconciler.
      expect(bundles()).toHaveLength(Object.keys(HANDLERS).length + 8);
      for (const dir of bundles()) {
        // The console function also carries the console's browser assets, in console/.
        const files = fs.readdirSync(dir).filter((file) => file !== 'console');
        const modules = files.filter((file) => file.endsWith('.mjs'));
        expect(modules).toContain('index.mjs');
        expect(files.sort()).toEqual([...modules, ...modules.map((file) => `${file}.map`)].sort());
        const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');
        // Minified: no module markers such as `// src/config.ts`, which esbuild writes otherwise, and long lines
        // (the console page's 9 KB on about twenty: template literals keep their newlines); unminified, lines
        // average well under 100 characters.
        expect(code).not.toMatch(/^\/\/ (lambdas|src|node_modules)\//m);
        expect(code.length / code.split('\n').length).toBeGreaterThan(200);
      }
    });

    it('with the console built beside the console function: a hashed script within the 100 KB budget (P6)', () => {
      const [consoleDirectory, ...others] = bundles()
        .map((dir) => path.join(dir, 'console'))
        .filter((dir) => fs.existsSync(dir));
      expect(others).toEqual([]);
      const manifest = JSON.parse(fs.readFileSync(path.join(consoleDirectory, 'manifest.json'), 'utf8'));
      expect(manifest.script).toMatch(/^api-key-console-[A-Z0-9]+\.js$/);
      expect(fs.readdirSync(consoleDirectory).sort()).toEqual([...manifest.files, 'manifest.json'].sort());
      expect(fs.statSync(path.join(consoleDirectory, manifest.script)).size).toBeLessThanOrEqual(100 * 1024);
    });

    it('keeping the console JWT authorizer small: jose and the route table, no zod, no DynamoDB client', () => {
      const resources = assembly.getStackArtifact(stackArtifactId).template.Resources as Record<string, any>;
      const consoleAuthorizer = resources[logicalId(serviceStack.service.consoleAuthorizerFunction)];
      const code = modulesOf(path.join(assembly.directory, consoleAuthorizer.Metadata['aws:asset:path']));
      // jose's remote key set, found through the issuer's discovery document.
      expect(code).toContain('JSON Web Key Set HTTP response');
      expect(code).toContain('/.well-known/openid-configuration');
      expect(code).not.toMatch(/DynamoDBClient|ZodError/);
      expect(code.length).toBeLessThan(100 * 1024);
    });

    it('with the AWS SDK and every dependency inside, nothing left to the runtime', () => {
      for (const dir of bundles()) {
        const code = modulesOf(dir);
        const external = [...code.matchAll(/(?:\}from|\*as [\w$]+ from|\bimport\(?|\brequire\()"([@\w./:-]+)"/g)]
          .map(([, name]) => name)
          .filter((name) => !name.startsWith('node:') && !/^\.\/[\w-]+\.mjs$/.test(name));
        // Only Node built-ins, and the optional CRT signer the SDK names in an error message.
        expect(external.filter((name) => !builtinModules.includes(name) && name !== '@aws-sdk/signature-v4-crt')).toEqual([]);
      }
    });

    /** What Lambda puts in every function's environment beside its template's variables: the Region and the role's credentials. */
    const LAMBDA_RUNTIME_ENVIRONMENT = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLELAMBDAROLE',
      AWS_SECRET_ACCESS_KEY: 'lambda-role-secret',
      AWS_SESSION_TOKEN: 'lambda-role-session-token',
    };

    it('into code that starts with the environment its template gives it, and exports handler', () => {
      for (const resource of functions()) {
        const environment = standInEnvironment(resource.Properties.Environment.Variables);
        const loaded = execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            'process.stdout.write(typeof (await import(process.argv[1])).handler)',
            pathToFileURL(path.join(assembly.directory, resource.Metadata['aws:asset:path'], 'index.mjs')).href,
          ],
          { env: { PATH: process.env.PATH, ...LAMBDA_RUNTIME_ENVIRONMENT, ...environment }, encoding: 'utf8' },
        );
        expect(loaded).toBe('function');
      }
    });
  });
});
