import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiKeyServiceClient, ApiProblemError, type AwsCredentialsProvider, type KeyChanges } from '../client';
import { routeFor } from '../routes';
import { failureText, fetchNamingFailures, problemAdvice } from './failures';
import { auditTable, issueNotice, keyCheckDetails, keyDetails, keyTable, type Output, tenantDetails, usageTable } from './output';

const VERIFY_ROUTE = routeFor('verifyKey', 'iam');
const REVOKE_BY_SECRET_ROUTE = routeFor('revokeKeyBySecret', 'none');

/** Exit codes: 0 done, 1 the API refused or could not be reached, 2 the command line was wrong. */
const EXIT = { ok: 0, apiError: 1, usage: 2 } as const;

interface GlobalOptions {
  endpoint?: string;
  region?: string;
  json?: boolean;
}

/** A mistake on the command line that commander cannot see, such as a missing endpoint. */
class UsageError extends Error {}

const collect = (value: string, previous: string[]) => [...previous, value];
/** `--meta name=value`, repeated: the key's metadata. */
const collectMeta = (value: string, previous: Record<string, string>) => {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new UsageError(`--meta takes name=value, not "${value}"`);
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
};

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

/** This package's version: from its package.json, the first one up from here (src/cli, or dist/src/cli when installed). */
function packageVersion(): string {
  for (let directory = __dirname; ; directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    if (dirname(directory) === directory) throw new Error('api-keys cannot find its package.json');
  }
}

function clientFor(options: GlobalOptions, env: NodeJS.ProcessEnv, credentials: AwsCredentialsProvider): ApiKeyServiceClient {
  const endpoint = options.endpoint ?? env.API_KEYS_ENDPOINT;
  if (!endpoint) throw new UsageError('Name the API with --endpoint URL or API_KEYS_ENDPOINT, e.g. http://127.0.0.1:3000');
  if (!URL.canParse(endpoint)) throw new UsageError(`--endpoint must be a URL, not "${endpoint}"`);
  return new ApiKeyServiceClient({ endpoint, region: options.region, credentials, fetch: fetchNamingFailures() });
}

function buildProgram(output: Output, env: NodeJS.ProcessEnv, credentials: AwsCredentialsProvider): Command {
  const program = new Command('api-keys')
    .version(packageVersion(), '-V, --version', "print api-keys' version")
    .description(
      "Manage the API key service's keys over its admin API, signed with SigV4 by the AWS credentials of this shell (the SDK's default chain).",
    )
    .option('--endpoint <url>', 'the API: a stage URL, or http://127.0.0.1:3000 for npm start (default: $API_KEYS_ENDPOINT)')
    .option('--region <region>', "the Region to sign for (default: the endpoint's, else $AWS_REGION, else us-east-1)")
    .option('--json', 'print JSON for machines instead of tables')
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 the API answered an error (its title and detail on stderr) or could not be reached, 2 usage error.',
    )
    .showHelpAfterError()
    .configureOutput({ writeOut: (text) => output.stdout(text), writeErr: (text) => output.stderr(text) })
    .exitOverride();

  const client = (command: Command) => clientFor(command.optsWithGlobals<GlobalOptions>(), env, credentials);
  const json = (command: Command) => command.optsWithGlobals<GlobalOptions>().json === true;
  const print = (command: Command, value: unknown, human: string) =>
    output.stdout(`${json(command) ? JSON.stringify(value, null, 2) : human}\n`);
  /** A new key: its secret, if there is one, goes to stdout this once, and the notice about it to stderr. */
  const printIssued = (command: Command, issued: Parameters<typeof keyDetails>[0]) => {
    print(command, issued, keyDetails(issued));
    output.stderr(`${issueNotice(issued)}\n`);
  };

  program
    .command('create')
    .description('Create a key for a tenant. Its secret is printed this once, to stdout.')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--name <name>', 'what the key is for, e.g. "CI pipeline"')
    .option('--scope <scope>', 'a scope the key holds; repeat for more', collect, [])
    .option('--expires-at <instant>', 'when it stops working, ISO-8601 with a zone, e.g. 2030-01-01T00:00:00Z')
    .option('--meta <name=value>', 'a value for the key’s backends (meta.{name}); repeat for more', collectMeta)
    .option('--idempotency-key <key>', 'makes a retry answer the key already issued instead of issuing another')
    .action(async (options, command: Command) => {
      const input = {
        name: options.name,
        scopes: options.scope,
        ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
        ...(options.meta ? { meta: options.meta } : {}),
      };
      const issued = options.idempotencyKey
        ? await client(command).createKey(options.tenant, input, { idempotencyKey: options.idempotencyKey })
        : await client(command).createKey(options.tenant, input);
      printIssued(command, issued);
    });

  program
    .command('list')
    .description("List a tenant's keys, newest first, every page.")
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .option('--page-size <n>', 'keys per request, 1-100', wholeNumber)
    .action(async (options, command: Command) => {
      const keys = [];
      for await (const page of client(command).listKeyPages(options.tenant, { limit: options.pageSize }))
        keys.push(...page.items);
      print(command, keys, keyTable(keys));
    });

  program
    .command('get')
    .description('Show one key (never its secret).')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--key-id <keyId>', 'the key, key_…')
    .action(async (options, command: Command) => {
      const key = await client(command).getKey(options.tenant, options.keyId);
      print(command, key, keyDetails(key));
    });

  program
    .command('update')
    .description('Change a key: its name, scopes, state, expiry or metadata.')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--key-id <keyId>', 'the key, key_…')
    .option('--name <name>', 'a new name')
    .option('--scope <scope>', 'the scopes it holds from now on (replacing its own); repeat for more', collect)
    .addOption(new Option('--enable', 'let it work again').conflicts('disable'))
    .addOption(new Option('--disable', 'stop it working, at once'))
    .option('--expires-at <instant>', 'a new expiry, ISO-8601 with a zone')
    .option('--no-expires-at', 'remove its expiry')
    .option('--meta <name=value>', 'its metadata from now on (replacing its own); repeat for more', collectMeta)
    .option('--no-meta', 'remove its metadata')
    .action(async (options, command: Command) => {
      const changes: KeyChanges = {
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.scope !== undefined ? { scopes: options.scope } : {}),
        ...(options.enable ? { enabled: true } : {}),
        ...(options.disable ? { enabled: false } : {}),
        ...(typeof options.expiresAt === 'string' ? { expiresAt: options.expiresAt } : {}),
        ...(options.expiresAt === false ? { expiresAt: null } : {}),
        ...(typeof options.meta === 'object' ? { meta: options.meta } : {}),
        ...(options.meta === false ? { meta: {} } : {}),
      };
      if (Object.keys(changes).length === 0) {
        throw new UsageError(
          'Say what to change: --name, --scope, --enable, --disable, --expires-at, --no-expires-at, --meta or --no-meta',
        );
      }
      const key = await client(command).updateKey(options.tenant, options.keyId, changes);
      print(command, key, keyDetails(key));
    });

  program
    .command('rotate')
    .description('Replace a key with a new one (same name and scopes); the old one works until the grace period ends.')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--key-id <keyId>', 'the key to replace, key_…')
    .option('--grace-period <seconds>', 'how long the old key keeps working, 0-604800', wholeNumber, 0)
    .option('--idempotency-key <key>', 'makes a retry answer the replacement already issued instead of issuing another')
    .action(async (options, command: Command) => {
      const input = { gracePeriodSeconds: options.gracePeriod };
      const rotated = options.idempotencyKey
        ? await client(command).rotateKey(options.tenant, options.keyId, input, { idempotencyKey: options.idempotencyKey })
        : await client(command).rotateKey(options.tenant, options.keyId, input);
      printIssued(command, rotated);
    });

  program
    .command('delete')
    .description('Delete a key; it stops working at once.')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--key-id <keyId>', 'the key, key_…')
    .action(async (options, command: Command) => {
      await client(command).deleteKey(options.tenant, options.keyId);
      print(command, { deleted: options.keyId }, `Deleted ${options.keyId}`);
    });

  program
    .command('revoke')
    .description(
      `End a key for good: by its secret (${REVOKE_BY_SECRET_ROUTE.method} ${REVOKE_BY_SECRET_ROUTE.path}, which needs no credentials: whoever holds a key may end it), or by tenant and id (admin).`,
    )
    .option('--key <key>', 'the key itself, ak_…, or - to read it from stdin (so it stays out of the shell history)')
    .option('--tenant <tenantId>', 'the tenant, with --key-id')
    .option('--key-id <keyId>', 'the key, key_…, with --tenant')
    .addOption(
      new Option('--reason <reason>', 'why, with --key-id: leaked (the default) or unused').choices(['leaked', 'unused']),
    )
    .addHelpText(
      'after',
      '\nBy the secret, the answer is the same whether the key existed or not; a key whose format or checksum is wrong is refused.',
    )
    .action(async (options, command: Command) => {
      const byId = options.tenant !== undefined || options.keyId !== undefined;
      if (options.key !== undefined && byId) throw new UsageError('Revoke by --key, or by --tenant and --key-id: not both');
      if (options.key !== undefined) {
        if (options.reason !== undefined) throw new UsageError('--reason goes with --tenant and --key-id: by --key it is leaked');
        const key = options.key === '-' ? (await text(process.stdin)).trim() : options.key;
        if (key === '') throw new UsageError('--key - read no key from stdin');
        const accepted = await client(command).revokeKeyBySecret(key);
        print(command, accepted, `Accepted. ${accepted.detail}`);
        return;
      }
      if (options.tenant === undefined || options.keyId === undefined) {
        throw new UsageError('Say which key: --key ak_… (or --key - for stdin), or --tenant and --key-id');
      }
      const key = await client(command).revokeKey(options.tenant, options.keyId, { reason: options.reason });
      print(command, key, keyDetails(key));
    });

  program
    .command('audit')
    .description("Show a tenant's audit trail, newest first: every change to its keys, who made it and from where.")
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .option('--key-id <keyId>', "only this key's records")
    .option('--from <instant>', 'only records at or after this ISO-8601 instant')
    .option('--to <instant>', 'only records at or before this ISO-8601 instant')
    .option('--limit <n>', 'at most this many records (default: all)', wholeNumber)
    .action(async (options, command: Command) => {
      const query = { keyId: options.keyId, from: options.from, to: options.to, limit: options.limit };
      const records = [];
      for await (const page of client(command).listAuditPages(options.tenant, {
        ...query,
        limit: Math.min(query.limit ?? 100, 100),
      })) {
        records.push(...page.items);
        if (options.limit !== undefined && records.length >= options.limit) break;
      }
      const shown = options.limit === undefined ? records : records.slice(0, options.limit);
      print(command, shown, auditTable(shown));
    });

  program
    .command('verify')
    .description(
      `Check a key as the authorizer would (${VERIFY_ROUTE.method} ${VERIFY_ROUTE.path}). A refused key is an answer, exit 0: valid false and its code.`,
    )
    .requiredOption('--key <key>', 'the key to check, ak_…')
    .option('--scope <scope>', 'a scope it must hold')
    .action(async (options, command: Command) => {
      const check = await client(command).verifyKey(options.key, options.scope);
      print(command, check, keyCheckDetails(check));
    });

  program
    .command('plan')
    .description("Show a tenant's plan; a tenant never configured has the default.")
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .action(async (options, command: Command) => {
      const tenant = await client(command).getTenant(options.tenant);
      print(command, tenant, tenantDetails(tenant));
    });

  program
    .command('set-plan')
    .description('Move a tenant to one of the declared plans; API Gateway enforces it for all its keys.')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--plan <plan>', 'the plan, e.g. pro')
    .action(async (options, command: Command) => {
      const tenant = await client(command).setTenantPlan(options.tenant, options.plan);
      print(command, tenant, tenantDetails(tenant));
    });

  program
    .command('usage')
    .description("A tenant's requests per day (UTC), as API Gateway counted them against its plan.")
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .option('--from <date>', 'the first day, YYYY-MM-DD (default: six days before --to)')
    .option('--to <date>', 'the last day, YYYY-MM-DD (default: today)')
    .action(async (options, command: Command) => {
      const usage = await client(command).getUsage(options.tenant, { from: options.from, to: options.to });
      print(command, usage, usageTable(usage));
    });

  return program;
}

function problemText(error: ApiProblemError): string {
  const fields = error.errors.map((field) => `  ${field.path}: ${field.message}\n`).join('');
  return `${error.title}: ${error.detail}\n${fields}`;
}

/** The access key that signed, for advice about a refused signature; undefined where there is none to name. */
async function accessKeyIdOf(credentials: AwsCredentialsProvider): Promise<string | undefined> {
  try {
    return (await credentials()).accessKeyId;
  } catch {
    return undefined;
  }
}

/** Runs one command line (`argv` as process.argv has it) and returns its exit code. */
export async function runCli(argv: string[], output: Output, env: NodeJS.ProcessEnv): Promise<number> {
  // The SDK's chain, resolved once and kept: what signed is what a refusal's advice names.
  const credentials = fromNodeProviderChain();
  try {
    await buildProgram(output, env, credentials).parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are requests, not mistakes; commander has printed what was wrong.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? EXIT.ok
        : EXIT.usage;
    }
    if (error instanceof UsageError) {
      output.stderr(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ApiProblemError) {
      const advice = problemAdvice(error, await accessKeyIdOf(credentials));
      output.stderr(`${problemText(error)}${advice ? `${advice}\n` : ''}`);
      return EXIT.apiError;
    }
    output.stderr(`${failureText(error, env) ?? (error instanceof Error ? error.message : String(error))}\n`);
    return EXIT.apiError;
  }
}
