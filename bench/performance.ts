/**
 * DESIGN §13's budgets, measured on this machine, each against its baseline in
 * the same run, repeated, as medians and ratios: prints a table and writes
 * bench/results.json (docs/performance.md says what each measure does).
 *
 *   npm run bench                 (node --import tsx bench/performance.ts)
 *   BENCH_QUICK=1 npm run bench   a few iterations of each, to check that it runs
 *   BENCH_RESULTS=<file>          writes the results there instead
 *   BENCH_ONLY=P5,P6              only the groups of measures that make these
 *
 * P3 reads the bundles a real synth produced (into a temporary directory). P5
 * and P6 run against `npm start`, on loopback. Exits 1 if a budget is missed,
 * 2 if a measure could not be made.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import autocannon from 'autocannon';
import { App, Stack } from 'aws-cdk-lib';
import { buildApp } from '../bin/service-app';
import cdkJson from '../cdk.json';
import { bundleFunction } from '../lib/private/function-bundle';
import { openEmbeddedDynamoDb } from '../local/boot/embedded-dynamodb';
import { createRequestListener } from '../local/http/http-listener';
import type { KeyRecord } from '../src/domain/api-key';
import { generateKey, hashKey, hintFor } from '../src/domain/key-format';
import { HANDLERS, type HandlerName } from '../src/routes';
import { DynamoKeyStore } from '../src/store/dynamo-key-store';
import { createKeyTableInput } from '../src/store/table-schema';
import { signedCall } from '../test/support/api-client';
import { launchChromium } from '../test/support/browser';
import { startLocalServer } from '../test/support/local-server-process';
import { standInEnvironment } from '../test/support/stand-in-environment';
import { makeTempDir } from '../test/support/temp-dir';
import { measureResponsePathDepth } from './p7-response-path';

const QUICK = process.env.BENCH_QUICK === '1';
// The SDK's notice that Node 20 support ends is about this machine, not what is measured.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const RESULTS_FILE = resolve(process.env.BENCH_RESULTS ?? join(__dirname, 'results.json'));
const REPOSITORY_ROOT = resolve(__dirname, '..');
const ADMIN = { accessKeyId: 'AKIABENCHPERFORMANCE', secretAccessKey: 'bench-performance-secret-000000000000000' };
const CREDENTIALS_ENV = {
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_REGION: 'us-east-1',
  // The SDK's notice that Node 20 support ends, printed at init here and not on Lambda's Node 24.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** How much of each measure: the full run stays under 5 minutes on 2 cores. */
const SIZES = QUICK
  ? {
      coldStarts: 3,
      handlerColdStarts: 1,
      rejections: 20_000,
      verifications: 200,
      rounds: 3,
      loadSeconds: 1,
      loadRounds: 1,
      pages: 2,
    }
  : {
      coldStarts: 15,
      handlerColdStarts: 3,
      rejections: 200_000,
      verifications: 3_000,
      rounds: 7,
      loadSeconds: 6,
      loadRounds: 3,
      pages: 7,
    };
/** `BENCH_ONLY=P5,P6`: only the groups of measures that make these (bundles: P3; the authorizer: P1, P2, P4; local mode: P5, P6). */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (...ids: string[]) => !ONLY || ids.some((id) => ONLY.includes(id));

interface Result {
  id: string;
  measure: string;
  figure: number;
  unit: string;
  baseline: number;
  baselineName: string;
  /** figure / baseline. */
  ratio: number;
  budget: string;
  pass: boolean;
  details?: Record<string, unknown>;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

// ---------------------------------------------------------------- the synthesized bundles

interface DeployedFunction {
  directory: string;
  environment: Record<string, string>;
}

/** A real synth, as `cdk synth` makes it, into a temporary directory: each function's asset directory and environment. */
function synthesize(outdir: string): { authorizer: DeployedFunction; handlers: Record<HandlerName, DeployedFunction> } {
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true } });
  const { service } = buildApp(app);
  const assembly = app.synth();
  const resources = assembly.getStackArtifact(service.artifactId).template.Resources as Record<
    string,
    { Metadata: Record<string, string>; Properties: { Environment: { Variables: Record<string, unknown> } } }
  >;
  const deployed = (fn: { node: { defaultChild?: unknown } }): DeployedFunction => {
    const resource = resources[Stack.of(service).getLogicalId(fn.node.defaultChild as never)];
    const variables = resource.Properties.Environment.Variables;
    return {
      directory: join(assembly.directory, resource.Metadata['aws:asset:path']),
      environment: standInEnvironment(variables),
    };
  };
  const handlers = Object.fromEntries(
    Object.keys(HANDLERS).map((name) => [name, deployed(service.service.handlers[name as HandlerName])]),
  ) as Record<HandlerName, DeployedFunction>;
  return { authorizer: deployed(service.service.authorizerFunction), handlers };
}

/** Records every file of `directory` that Node loads: what a function's init reads. */
const LOAD_TRACER = `
export async function load(url, context, next) {
  if (url.startsWith(process.env.TRACED_DIRECTORY)) process._rawDebug('LOADED ' + url);
  return next(url, context);
}`;

function filesLoadedAtInit(fn: DeployedFunction, tracerDirectory: string): string[] {
  writeFileSync(join(tracerDirectory, 'tracer.mjs'), LOAD_TRACER);
  writeFileSync(
    join(tracerDirectory, 'register.mjs'),
    `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(tracerDirectory, 'tracer.mjs')).href)});`,
  );
  const run = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(tracerDirectory, 'register.mjs')).href, ...importArguments(fn)],
    { env: { ...functionEnvironment(fn), TRACED_DIRECTORY: pathToFileURL(fn.directory).href }, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`Loading ${fn.directory} failed: ${run.stderr}`);
  return [...run.stderr.matchAll(/^LOADED (\S+)$/gm)].map(([, url]) => new URL(url).pathname);
}

function functionEnvironment(fn: DeployedFunction): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...CREDENTIALS_ENV, ...fn.environment };
}

function importArguments(fn: DeployedFunction): string[] {
  const entry = pathToFileURL(join(fn.directory, 'index.mjs')).href;
  return [
    '--input-type=module',
    '-e',
    `const { handler } = await import(${JSON.stringify(entry)}); if (typeof handler !== 'function') process.exit(2);`,
  ];
}

/** Wall time of one process start, in ms. */
function timedRun(args: string[], env: Record<string, string>): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Cold starts paired with `node -e 0`, alternating, so both see the same machine. */
function coldStart(fn: DeployedFunction, runs: number): { initMs: number; bareMs: number; ratio: number } {
  const init: number[] = [];
  const bare: number[] = [];
  const env = functionEnvironment(fn);
  timedRun(importArguments(fn), env); // the page cache warm, as Lambda's is for its own runtime
  for (let i = 0; i < runs; i++) {
    bare.push(timedRun(['-e', '0'], { PATH: env.PATH }));
    init.push(timedRun(importArguments(fn), env));
  }
  return { initMs: median(init), bareMs: median(bare), ratio: median(init) / median(bare) };
}

const sizeOf = (files: string[]) => files.reduce((sum, file) => sum + statSync(file).size, 0);
const modulesIn = (directory: string) =>
  readdirSync(directory)
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => join(directory, file));

function measureBundles(deployed: ReturnType<typeof synthesize>, tracerDirectory: string): Result {
  const authorizer = coldStart(deployed.authorizer, SIZES.coldStarts);
  const authorizerBytes = sizeOf(filesLoadedAtInit(deployed.authorizer, tracerDirectory));
  const handlers = Object.fromEntries(
    Object.entries(deployed.handlers).map(([name, fn]) => {
      const { initMs, ratio } = coldStart(fn, SIZES.handlerColdStarts);
      return [
        name,
        {
          kilobytesAtInit: round(sizeOf(filesLoadedAtInit(fn, tracerDirectory)) / 1024, 1),
          kilobytesInAsset: round(sizeOf(modulesIn(fn.directory)) / 1024, 1),
          initMs: round(initMs, 1),
          ratio: round(ratio),
        },
      ];
    }),
  );
  const largestHandler = Math.max(...Object.values(handlers).map((handler) => handler.kilobytesAtInit));
  return {
    id: 'P3',
    measure: 'authorizer cold init, the deployed bundle',
    figure: round(authorizer.initMs, 1),
    unit: 'ms',
    baseline: round(authorizer.bareMs, 1),
    baselineName: 'node -e 0',
    ratio: round(authorizer.ratio),
    budget: '≤ 1.5 × node -e 0; bundle ≤ 300 KB; every handler ≤ 500 KB',
    pass: authorizer.ratio <= 1.5 && authorizerBytes <= 300 * 1024 && largestHandler <= 500,
    details: {
      authorizerKilobytesAtInit: round(authorizerBytes / 1024, 1),
      authorizerKilobytesInAsset: round(sizeOf(modulesIn(deployed.authorizer.directory)) / 1024, 1),
      largestHandlerKilobytesAtInit: largestHandler,
      handlers,
    },
  };
}

// ---------------------------------------------------------------- the authorizer against DynamoDB

/** Counts DynamoDB operations by name (X-Amz-Target), as they reach an endpoint. */
function countingListener(listener: RequestListener): { listener: RequestListener; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    listener: (request, response) => {
      const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      listener(request, response);
    },
  };
}

async function listen(listener: RequestListener): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** DynamoDB answered at once, from memory: GetItem finds the one key, just used, so no write is due. */
function instantDynamoDb(record: KeyRecord): RequestListener {
  return (request: IncomingMessage, response) => {
    request.resume();
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target']).split('.')[1];
      const body = operation === 'GetItem' ? { Item: marshall({ ...record, lastUsedAt: new Date().toISOString() }) } : {};
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(body));
    });
  };
}

function keyRecord(key: string, index: number): KeyRecord {
  return {
    keyHash: hashKey(key),
    keyId: `01JBENCH${String(index).padStart(18, '0')}`,
    tenantId: 'bench',
    name: `bench key ${index}`,
    hint: hintFor(key),
    scopes: ['keys:manage'],
    enabled: true,
    createdAt: new Date().toISOString(),
  };
}

/** A malformed key, and one of the right shape whose checksum is wrong: both refused before any read. */
function refusedWithoutReading(): string[] {
  const valid = generateKey('ak');
  const last = valid.at(-1) === 'A' ? 'B' : 'A';
  return ['not-a-key', `${valid.slice(0, -1)}${last}`];
}

async function probe<T>(request: Record<string, unknown>, env: Record<string, string>): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'authorizer-probe.ts'), JSON.stringify(request)], {
    cwd: REPOSITORY_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`The authorizer probe failed: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

async function measureAuthorizer(authorizer: DeployedFunction, directory: string): Promise<Result[]> {
  const bundle = join(authorizer.directory, 'index.mjs');
  const baselineDirectory = join(directory, 'bare-get-item');
  bundleFunction(join(__dirname, 'bare-get-item.ts'), baselineDirectory);
  const key = generateKey('ak');
  const instant = countingListener(instantDynamoDb(keyRecord(key, 0)));
  const stub = await listen(instant.listener);
  const env = { ...CREDENTIALS_ENV, ...authorizer.environment, AWS_ENDPOINT_URL_DYNAMODB: stub.endpoint };
  let rejections: { perSecond: number; baselinePerSecond: number };
  let verifications: {
    verificationMicroseconds: number;
    getItemMicroseconds: number;
    outsideIoMicroseconds: number;
    differenceRangeMicroseconds: [number, number];
  };
  try {
    rejections = await probe(
      { measure: 'rejections', bundle, keys: refusedWithoutReading(), iterations: SIZES.rejections, rounds: SIZES.rounds },
      env,
    );
    const readsForRejections = [...instant.counts.values()].reduce((sum, count) => sum + count, 0);
    if (readsForRejections !== 0) throw new Error(`Refusing malformed keys made ${readsForRejections} DynamoDB calls`);
    verifications = await probe(
      {
        measure: 'verifications',
        bundle,
        baseline: join(baselineDirectory, 'index.mjs'),
        key,
        iterations: SIZES.verifications,
        rounds: SIZES.rounds,
      },
      env,
    );
  } finally {
    await stub.close();
  }
  const p4 = await measureTableCalls(authorizer, bundle);
  return [
    {
      id: 'P1',
      measure: 'malformed and bad-checksum keys, rejected on one core',
      figure: Math.round(rejections.perSecond),
      unit: 'rejections/s',
      baseline: Math.round(rejections.baselinePerSecond),
      baselineName: 'throwing one pre-built Error',
      ratio: round(rejections.perSecond / rejections.baselinePerSecond),
      budget: '0 DynamoDB calls; ≥ 500,000 rejections/s',
      pass: rejections.perSecond >= 500_000,
      details: { dynamoDbCalls: 0 },
    },
    {
      id: 'P2',
      measure: 'warm verification, CPU outside I/O',
      figure: round(verifications.outsideIoMicroseconds, 1),
      unit: 'µs',
      baseline: round(verifications.getItemMicroseconds, 1),
      baselineName: 'CPU of a bare GetItem, same client',
      ratio: round(verifications.verificationMicroseconds / verifications.getItemMicroseconds),
      budget: '≤ 20 µs median',
      pass: verifications.outsideIoMicroseconds <= 20,
      details: {
        verificationMicroseconds: round(verifications.verificationMicroseconds, 1),
        roundsDifferenceRangeMicroseconds: verifications.differenceRangeMicroseconds.map((value) => round(value, 1)),
      },
    },
    p4,
  ];
}

/** P4 on the embedded engine local mode runs: what verifications cost the table. */
async function measureTableCalls(authorizer: DeployedFunction, bundle: string): Promise<Result> {
  const database = await openEmbeddedDynamoDb();
  const counting = countingListener(
    createRequestListener((request) => database.serve(request), { maxBodyBytes: 1024 * 1024, stopping: () => false }),
  );
  const server = await listen(counting.listener);
  const tableName = 'bench-keys';
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    await client.send(new CreateTableCommand(createKeyTableInput(tableName)));
    const store = new DynamoKeyStore(DynamoDBDocumentClient.from(client), tableName);
    const keys = [generateKey('ak'), generateKey('ak'), generateKey('ak')];
    for (const [index, key] of keys.entries()) await store.create(keyRecord(key, index + 1));
    counting.counts.clear();
    const repeat = QUICK ? 5 : 50;
    const env = {
      ...CREDENTIALS_ENV,
      ...authorizer.environment,
      TABLE_NAME: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: server.endpoint,
    };
    const { allowed } = await probe<{ allowed: number }>(
      { measure: 'calls', bundle, keys: [...keys, ...refusedWithoutReading()], repeat },
      env,
    );
    const verifications = keys.length * repeat;
    if (allowed !== verifications) throw new Error(`${allowed} of ${verifications} verifications of valid keys passed`);
    const reads = counting.counts.get('GetItem') ?? 0;
    const writes = counting.counts.get('UpdateItem') ?? 0;
    const others = [...counting.counts].filter(([operation]) => operation !== 'GetItem' && operation !== 'UpdateItem');
    return {
      id: 'P4',
      measure: 'DynamoDB calls per uncached verification, and writes per key per minute',
      figure: round(reads / verifications, 3),
      unit: 'GetItem/verification',
      baseline: 1,
      baselineName: 'one GetItem each',
      ratio: round(reads / verifications, 3),
      budget: 'exactly 1 GetItem per uncached verification; ≤ 1 write per key per minute',
      pass: reads === verifications && writes <= keys.length && others.length === 0,
      details: {
        verifications,
        malformedKeysSent: 2 * repeat,
        getItem: reads,
        updateItem: writes,
        keys: keys.length,
        otherCalls: Object.fromEntries(others),
      },
    };
  } finally {
    client.destroy();
    await server.close();
    await database.close();
  }
}

// ---------------------------------------------------------------- local mode: the gateway and the console

async function requestsPerSecond(options: autocannon.Options): Promise<number> {
  const result = await autocannon({ connections: 10, duration: SIZES.loadSeconds, ...options });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${options.url}: ${result.non2xx} answers other than 2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors`,
    );
  }
  return result.requests.average;
}

/** Runs each pair in turn, several rounds: the median of each. */
async function paired(measured: () => Promise<number>, baseline: () => Promise<number>) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < SIZES.loadRounds; i++) {
    a.push(await measured());
    b.push(await baseline());
  }
  return { measured: median(a), baseline: median(b) };
}

/** A bare node:http server in a process of its own, answering every request with this body. */
async function bareServer(body: string): Promise<{ url: string; stop(): void }> {
  const script = `require('node:http').createServer((q, s) => { q.resume(); s.writeHead(200, { 'content-type': 'application/json' }); s.end(${JSON.stringify(body)}); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${port.toString().trim()}`, stop: () => child.kill() };
}

/** A GetItem as the SDK sends it; the engine takes any signature, so one is enough. */
function rawGetItem(tableName: string, keyHash: string): autocannon.Options {
  return {
    url: '',
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'x-amz-date': '20260101T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00',
    },
    body: JSON.stringify({ TableName: tableName, Key: { keyHash: { S: keyHash } }, ConsistentRead: true }),
  };
}

async function measureLocalMode(directory: string): Promise<Result[]> {
  const database = await openEmbeddedDynamoDb();
  const engine = await listen(
    createRequestListener((request) => database.serve(request), { maxBodyBytes: 1024 * 1024, stopping: () => false }),
  );
  const common = {
    DYNAMODB_ENDPOINT: engine.endpoint,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  };
  const cached = await startLocalServer({ ...common, DATA_DIR: join(directory, 'cached') }, 60_000);
  const uncached = await startLocalServer(
    { ...common, DATA_DIR: join(directory, 'uncached'), AUTHORIZER_CACHE_TTL_SECONDS: '0' },
    60_000,
  );
  try {
    // A tenant per server: each server keeps its own emulated API Gateway keys, which put a tenant in its plan.
    const keyOf = async (server: { baseUrl: string }, tenantId: string) => {
      const created = await signedCall(server.baseUrl, ADMIN, 'POST', `/tenants/${tenantId}/keys`, { body: { name: 'bench' } });
      if (created.status !== 201) throw new Error(`Creating the bench key answered ${created.status}: ${created.text}`);
      return created.json.key as string;
    };
    const [key, uncachedKey] = [await keyOf(cached, 'bench-cached'), await keyOf(uncached, 'bench-uncached')];
    const whoami = { headers: { 'x-api-key': key } };
    const answer = await fetch(new URL('/whoami', cached.baseUrl), whoami);
    const body = await answer.text();
    const bare = await bareServer(body);
    let gateway: { measured: number; baseline: number };
    let verification: { measured: number; baseline: number };
    try {
      gateway = await paired(
        () => requestsPerSecond({ url: `${cached.baseUrl}/whoami`, ...whoami }),
        () => requestsPerSecond({ url: bare.url }),
      );
      const tableName = 'api-keys';
      verification = await paired(
        () => requestsPerSecond({ url: `${uncached.baseUrl}/whoami`, headers: { 'x-api-key': uncachedKey } }),
        () => requestsPerSecond({ ...rawGetItem(tableName, hashKey(uncachedKey)), url: engine.endpoint }),
      );
    } finally {
      bare.stop();
    }
    const p6 = await measureConsole(cached.baseUrl);
    const gatewayRatio = gateway.measured / gateway.baseline;
    const verificationRatio = verification.measured / verification.baseline;
    return [
      {
        id: 'P5',
        measure: 'local gateway: cached / uncached GET /whoami',
        figure: Math.round(gateway.measured),
        unit: 'req/s cached',
        baseline: Math.round(gateway.baseline),
        baselineName: 'bare node:http, same body',
        ratio: round(gatewayRatio),
        budget: '≥ 50 % of bare node:http (cached) and of raw GetItem on the same engine (uncached)',
        pass: gatewayRatio >= 0.5 && verificationRatio >= 0.5,
        details: {
          uncachedRequestsPerSecond: Math.round(verification.measured),
          rawGetItemPerSecond: Math.round(verification.baseline),
          uncachedRatio: round(verificationRatio),
          connections: 10,
          secondsPerRun: SIZES.loadSeconds,
        },
      },
      p6,
    ];
  } finally {
    await uncached.stop();
    await cached.stop();
    await engine.close();
    await database.close();
  }
}

async function measureConsole(baseUrl: string): Promise<Result> {
  const blank = await listen((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>Blank</title><button>Sign in</button>');
  });
  const browser = await launchChromium();
  try {
    const interactive = async (url: string) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      let scriptBytes = 0;
      page.on('response', async (response) => {
        if (response.request().resourceType() === 'script') scriptBytes += (await response.body()).length;
      });
      const started = performance.now();
      await page.goto(url);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const elapsed = performance.now() - started;
      await page.waitForLoadState('networkidle');
      await context.close();
      return { elapsed, scriptBytes };
    };
    const consoleRuns: { elapsed: number; scriptBytes: number }[] = [];
    const blankRuns: number[] = [];
    await interactive(`${baseUrl}/console`);
    for (let i = 0; i < SIZES.pages; i++) {
      consoleRuns.push(await interactive(`${baseUrl}/console`));
      blankRuns.push((await interactive(blank.endpoint)).elapsed);
    }
    const elapsed = median(consoleRuns.map((run) => run.elapsed));
    const scriptBytes = Math.max(...consoleRuns.map((run) => run.scriptBytes));
    return {
      id: 'P6',
      measure: 'console page: interactive (its Sign in button), and its JavaScript',
      figure: Math.round(elapsed),
      unit: 'ms',
      baseline: Math.round(median(blankRuns)),
      baselineName: 'a static page with one button, same browser',
      ratio: round(elapsed / median(blankRuns)),
      budget: '≤ 100 KB of JavaScript; interactive in ≤ 1 s locally',
      pass: elapsed <= 1_000 && scriptBytes <= 100 * 1024,
      details: { javaScriptKilobytes: round(scriptBytes / 1024, 1) },
    };
  } finally {
    await browser.close();
    await blank.close();
  }
}

// ---------------------------------------------------------------- the report

function table(results: Result[]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['id', 'measure', 'figure', 'baseline', 'ratio', 'budget', 'pass']),
    line(['---', '---', '---:', '---', '---:', '---', '---']),
    ...results.map((result) =>
      line([
        result.id,
        result.measure,
        `${result.figure.toLocaleString('en-US')} ${result.unit}`,
        `${result.baseline.toLocaleString('en-US')} (${result.baselineName})`,
        result.ratio,
        result.budget,
        result.pass ? 'yes' : '**no**',
      ]),
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const directory = await makeTempDir('bench-performance');
  const results: Result[] = [];
  try {
    if (wanted('P1', 'P2', 'P3', 'P4')) {
      const deployed = synthesize(join(directory.path, 'cdk.out'));
      if (wanted('P3')) results.push(measureBundles(deployed, directory.path));
      if (wanted('P1', 'P2', 'P4')) results.push(...(await measureAuthorizer(deployed.authorizer, directory.path)));
    }
    if (wanted('P5', 'P6')) results.push(...(await measureLocalMode(directory.path)));
    if (wanted('P7')) results.push(await measureResponsePathDepth());
  } finally {
    await directory.remove();
  }
  results.sort((a, b) => a.id.localeCompare(b.id));
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model.trim(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const report = { quick: QUICK, machine, seconds: Math.round((Date.now() - startedAt) / 1000), results };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    [
      `machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, Node ${machine.node}${QUICK ? ' (quick run)' : ''}`,
      '',
      table(results),
      '',
      `written to ${RESULTS_FILE} in ${report.seconds} s`,
    ].join('\n'),
  );
  if (results.some((result) => !result.pass)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  // Not a missed budget: the bench itself failed.
  process.exit(2);
});
