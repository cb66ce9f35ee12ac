/**
 * DESIGN §15's budgets, measured on this machine on Node 24 (Lambda's), each
 * against its baseline in the same run, repeated, by CPU time and, where
 * valgrind is installed, by callgrind's instruction counts (full run only):
 * prints a table and writes bench/results.json (docs/performance.md says
 * what each measure does and how).
 *
 *   npm run bench                 (node --import tsx bench/performance.ts)
 *   BENCH_QUICK=1 npm run bench   a few iterations of each, no instruction counts, to check that it runs
 *   BENCH_RESULTS=<file>          writes the results there instead
 *   BENCH_ONLY=P5,P6              only the groups of measures that make these
 *
 * P3 and P3h read the bundles a real synth produced (into a temporary directory).
 * P3h, P5 and P6 run against `npm start`. Exits 1 if a budget is missed (or
 * could not be measured), 2 if the bench itself failed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { buildApp } from '../bin/service-app';
import cdkJson from '../cdk.json';
import { bundleFunction } from '../lib/private/function-bundle';
import { openEmbeddedDynamoDb } from '../local/boot/embedded-dynamodb';
import { readLocalConfig } from '../local/boot/local-config';
import { createRequestListener } from '../local/http/http-listener';
import type { KeyRecord } from '../src/domain/api-key';
import { generateKey, hashKey, hintFor } from '../src/domain/key-format';
import { compileMethods, encodeMethods } from '../src/protected-methods';
import { HANDLERS, type HandlerName, ROUTES } from '../src/routes';
import { DynamoKeyStore } from '../src/store/dynamo-key-store';
import { createKeyTableInput } from '../src/store/table-schema';
import { signedCall } from '../test/support/api-client';
import { launchChromium } from '../test/support/browser';
import { startLocalServer } from '../test/support/local-server-process';
import { standInEnvironment } from '../test/support/stand-in-environment';
import { makeTempDir } from '../test/support/temp-dir';
import { measureAdminCallDepth } from './admin-call-depth';
import { type BenchResult, median, round } from './bench-result';
import { hasValgrind, inPairs, instructionsOf } from './callgrind';
import { type CostModel, costPerMillionRequests } from './cost-model';
import { type BenchTenant, ENDS_A_KEY, firstRequestEnvironment, firstRequestEvent, writeGitHubKeys } from './first-requests';
import { lambdaNode } from './node24';
import { cpuPerRequest, LOAD_RATE } from './server-cpu';
import { type Certificate, forwardingTo, listening, makeCertificate, serveTls } from './tls';

const QUICK = process.env.BENCH_QUICK === '1';
const RESULTS_FILE = resolve(process.env.BENCH_RESULTS ?? join(__dirname, 'results.json'));
const REPOSITORY_ROOT = resolve(__dirname, '..');
const ADMIN = { accessKeyId: 'AKIABENCHPERFORMANCE', secretAccessKey: 'bench-performance-secret-000000000000000' };
/** The functions' credentials, and `npm start`'s: its emulated AWS takes requests signed with these only. */
const FUNCTION_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIABENCHFUNCTIONS00',
  AWS_SECRET_ACCESS_KEY: 'bench-functions-secret-00000000000000000',
};
const REGION = 'us-east-1';
const ROOMY_PLANS_FILE = join(REPOSITORY_ROOT, 'test/fixtures/roomy-plans.json');
const COLD_START = join(__dirname, 'cold-start.mjs');
const TLS_FLOOR = join(__dirname, 'tls-floor.mjs');
const PROBE = join(__dirname, 'authorizer-probe.mjs');

/** How much of each measure: the full run stays under 5 minutes on 2 cores. */
const SIZES = QUICK
  ? { coldStarts: 2, handlerColdStarts: 1, rejections: 20_000, verifications: 200, rounds: 3, loadSeconds: 1, pages: 2 }
  : { coldStarts: 15, handlerColdStarts: 2, rejections: 100_000, verifications: 3_000, rounds: 7, loadSeconds: 4, pages: 5 };
/** P1's instruction count per refusal: the slope between two loops, so start-up and compilation cancel out. */
const REFUSAL_LOOPS = [5_000, 25_000] as const;
const INSTRUCTIONS = !QUICK && hasValgrind();
/** Callgrind runs of a cold start, until one made its requests only once: under it, a process is 50 times slower than its timeouts expect. */
const CALLGRIND_ATTEMPTS = 3;
/** `BENCH_ONLY=P5,P6`: only the groups of measures that make these (the authorizer: P1, P2, P4; cold starts: P3; local mode: P3h, P5, P6). */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (...ids: string[]) => !ONLY || ids.some((id) => ONLY.includes(id));

/** Node 24 from here on: the functions run on it in Lambda. */
const NODE = lambdaNode();

/** Instruction counts wait until every CPU-timed measure is done, then run two at a time. */
const callgrindJobs: (() => Promise<void>)[] = [];

// ---------------------------------------------------------------- processes

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs node with these arguments and waits; never spawnSync, which would stall the servers this process runs. */
async function runNode(args: string[], env: Record<string, string>, cwd?: string): Promise<Output> {
  const child = spawn(NODE, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  // 'close', not 'exit': what the process wrote last may still be in the pipe when it exits.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** What a measuring process printed as its result: its line marked `bench-result`, whatever the code it measured wrote besides. */
async function jsonOf<T>(args: string[], env: Record<string, string>, cwd?: string): Promise<T> {
  const run = await runNode(args, env, cwd);
  if (run.code !== 0) throw new Error(`node ${args[0]} failed (${run.code}): ${run.stderr.slice(-2_000)}`);
  const result = /^bench-result (.*)$/m.exec(run.stdout);
  if (!result) throw new Error(`node ${args[0]} printed no result: ${run.stdout.slice(-2_000)}`);
  return JSON.parse(result[1]) as T;
}

// ---------------------------------------------------------------- the synthesized bundles

interface DeployedFunction {
  directory: string;
  environment: Record<string, string>;
}

/** A real synth, as `cdk synth` makes it, into a temporary directory: each function's asset directory and environment. */
function synthesize(outdir: string): {
  authorizer: DeployedFunction;
  handlers: Record<HandlerName, DeployedFunction>;
  /** The service API stage's access log format, as API Gateway is given it. */
  accessLogFormat: string;
} {
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true } });
  const { service } = buildApp(app);
  const assembly = app.synth();
  const resources = assembly.getStackArtifact(service.artifactId).template.Resources as Record<
    string,
    {
      Type: string;
      Metadata: Record<string, string>;
      Properties: { Environment: { Variables: Record<string, unknown> }; AccessLogSetting?: { Format: string } };
    }
  >;
  const stage = Object.values(resources).find(
    (resource) => resource.Type === 'AWS::ApiGateway::Stage' && resource.Properties.AccessLogSetting,
  );
  if (!stage?.Properties.AccessLogSetting) throw new Error('The service API has no stage with an access log');
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
  return {
    authorizer: deployed(service.service.authorizerFunction),
    handlers,
    accessLogFormat: stage.Properties.AccessLogSetting.Format,
  };
}

const entryOf = (fn: DeployedFunction) => join(fn.directory, 'index.mjs');

/** Records every file of `directory` that Node loads: what a function's init and first request read. */
const LOAD_TRACER = `
export async function load(url, context, next) {
  if (url.startsWith(process.env.TRACED_DIRECTORY)) process._rawDebug('LOADED ' + url);
  return next(url, context);
}`;

/** Where every measure's process finds what Lambda would give it, and the bench's CA for the local TLS endpoints. */
function baseEnvironment(certificate: Certificate): Record<string, string> {
  return { PATH: process.env.PATH ?? '', AWS_REGION: REGION, ...FUNCTION_CREDENTIALS, NODE_EXTRA_CA_CERTS: certificate.certFile };
}

// ---------------------------------------------------------------- cold starts: P3 and P3h

/** The plain-HTTP endpoints behind the TLS ones a cold start reaches: DynamoDB, and (P3h) every other AWS API. */
interface Targets {
  dynamoDb: string;
  otherApis?: string;
}

/** The https:// URLs of the TLS endpoints in front of the targets. */
interface Endpoints {
  dynamoDb: string;
  otherApis?: string;
}

/**
 * Runs one process against TLS endpoints of its own in front of the targets,
 * and counts the requests it made. A retry tells a run that timed out on a busy
 * machine, or under callgrind (50 times slower), from one that did the work once.
 */
async function withEndpoints<T>(
  certificate: Certificate,
  targets: Targets,
  run: (endpoints: Endpoints) => Promise<T>,
): Promise<{ value: T; requests: number }> {
  let requests = 0;
  const counted = (target: string): RequestListener => {
    const forward = forwardingTo(target);
    return (request, response) => {
      requests++;
      forward(request, response);
    };
  };
  const dynamoDb = await serveTls(certificate, counted(targets.dynamoDb));
  const otherApis = targets.otherApis === undefined ? undefined : await serveTls(certificate, counted(targets.otherApis));
  try {
    const value = await run({ dynamoDb: dynamoDb.url, otherApis: otherApis?.url });
    return { value, requests };
  } finally {
    await dynamoDb.close();
    await otherApis?.close();
  }
}

/** One function and the first request it answers, against endpoints reached over TLS. */
interface ColdStart {
  name: string;
  fn: DeployedFunction;
  env: (endpoints: Endpoints) => Record<string, string>;
  /** The first request, new for each start (one that ends a key needs a key of its own). */
  event: () => unknown;
  /** Whether the answer is the one the request should get. */
  answered: (answer: { statusCode?: number; principalId?: string; error?: string }) => boolean;
}

interface ColdStartFigures {
  cpuMicroseconds: number;
  floorCpuMicroseconds: number;
  cpuRatio: number;
  kilobytesLoaded: number;
  /** The AWS requests its first request made, as counted at the endpoints. */
  requests: number;
  answer: unknown;
  instructions?: number;
}

/** The TLS floor of a group of cold starts: whether instructions were counted for the group, and the floor's. */
interface Floor {
  counted: boolean;
  instructions?: number;
}

function harnessEnvironment(start: ColdStart, endpoints: Endpoints): Record<string, string> {
  return {
    ...start.env(endpoints),
    FUNCTION_ENTRY: pathToFileURL(entryOf(start.fn)).href,
    FIRST_EVENT: JSON.stringify(start.event()),
  };
}

/** The files of the function's asset that its import and first request load, summed. */
async function kilobytesLoaded(start: ColdStart, endpoints: Endpoints, tracerDirectory: string): Promise<number> {
  writeFileSync(join(tracerDirectory, 'tracer.mjs'), LOAD_TRACER);
  writeFileSync(
    join(tracerDirectory, 'register.mjs'),
    `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(tracerDirectory, 'tracer.mjs')).href)});`,
  );
  const run = await runNode(
    ['--import', pathToFileURL(join(tracerDirectory, 'register.mjs')).href, COLD_START],
    { ...harnessEnvironment(start, endpoints), TRACED_DIRECTORY: pathToFileURL(start.fn.directory).href },
    start.fn.directory,
  );
  if (run.code !== 0) throw new Error(`Loading ${start.name} failed: ${run.stderr}`);
  const files = [...new Set([...run.stderr.matchAll(/^LOADED (\S+)$/gm)].map(([, url]) => new URL(url).pathname))];
  return files.reduce((sum, file) => sum + statSync(file).size, 0) / 1024;
}

/** Callgrind runs of one process until one makes `requests` requests (no attempt timed out), at most `attempts`. */
async function instructionsOfRun(
  certificate: Certificate,
  targets: Targets,
  requests: number,
  attempts: number,
  run: (endpoints: Endpoints) => { args: string[]; env: Record<string, string>; cwd?: string },
): Promise<number | undefined> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const counted = await withEndpoints(certificate, targets, (endpoints) => {
      const { args, env, cwd } = run(endpoints);
      return instructionsOf(NODE, args, env, cwd);
    });
    if (counted.requests === requests) return counted.value;
  }
  return undefined;
}

/**
 * Cold starts of each function, each beside one of the TLS floor against the
 * same endpoint, alternating, so both see the same moments of the machine: CPU
 * time from the process's start to its first answer (its own `process.cpuUsage()`),
 * median of `runs`. With valgrind, one more of each under callgrind (queued),
 * and two of the floor.
 */
async function measureColdStarts(
  starts: ColdStart[],
  certificate: Certificate,
  targets: Targets,
  env: Record<string, string>,
  runs: { cpu: number; callgrind: number },
  tracerDirectory: string,
): Promise<{ figures: Map<string, ColdStartFigures>; floor: Floor }> {
  const floorRun = (endpoints: Endpoints) => ({ args: [TLS_FLOOR], env: { ...env, TLS_FLOOR_URL: endpoints.dynamoDb } });
  const floorCpu = async () =>
    (
      await withEndpoints(certificate, targets, async (endpoints) => {
        const { args, env: floorEnv } = floorRun(endpoints);
        return (await jsonOf<{ cpuMicroseconds: number }>(args, floorEnv)).cpuMicroseconds;
      })
    ).value;
  const figures = new Map<string, ColdStartFigures>();
  const floor: Floor = { counted: INSTRUCTIONS && runs.callgrind > 0 };
  await floorCpu(); // the page cache warm, as Lambda's is for its own runtime
  for (const start of starts) {
    const cpu: number[] = [];
    const floorCpus: number[] = [];
    const requests: number[] = [];
    let answer: ColdStartFigures['answer'];
    for (let i = 0; i < runs.cpu; i++) {
      floorCpus.push(await floorCpu());
      const started = await withEndpoints(certificate, targets, (endpoints) =>
        jsonOf<{ cpuMicroseconds: number; answer: Parameters<ColdStart['answered']>[0] }>(
          [COLD_START],
          harnessEnvironment(start, endpoints),
          start.fn.directory,
        ),
      );
      if (!start.answered(started.value.answer)) {
        throw new Error(`${start.name}'s first request answered ${JSON.stringify(started.value.answer)}`);
      }
      cpu.push(started.value.cpuMicroseconds);
      requests.push(started.requests);
      answer = started.value.answer;
    }
    const entry: ColdStartFigures = {
      cpuMicroseconds: median(cpu),
      floorCpuMicroseconds: median(floorCpus),
      cpuRatio: median(cpu) / median(floorCpus),
      kilobytesLoaded: (
        await withEndpoints(certificate, targets, (endpoints) => kilobytesLoaded(start, endpoints, tracerDirectory))
      ).value,
      // The fewest: a run with more retried something.
      requests: Math.min(...requests),
      answer,
    };
    figures.set(start.name, entry);
    if (floor.counted) {
      callgrindJobs.push(async () => {
        entry.instructions = await instructionsOfRun(certificate, targets, entry.requests, runs.callgrind, (endpoints) => ({
          args: [COLD_START],
          env: harnessEnvironment(start, endpoints),
          cwd: start.fn.directory,
        }));
      });
    }
  }
  if (floor.counted) {
    callgrindJobs.push(async () => {
      const counts = [
        await instructionsOfRun(certificate, targets, 1, CALLGRIND_ATTEMPTS, floorRun),
        await instructionsOfRun(certificate, targets, 1, CALLGRIND_ATTEMPTS, floorRun),
      ].filter((count): count is number => count !== undefined);
      floor.instructions = counts.length > 0 ? Math.min(...counts) : undefined;
    });
  }
  return { figures, floor };
}

const instructionsRatio = (each: ColdStartFigures, floor: Floor) =>
  each.instructions !== undefined && floor.instructions !== undefined ? each.instructions / floor.instructions : undefined;

/** The larger of a cold start's two ratios: by CPU time, and by instructions where counted. */
const ratioOf = (each: ColdStartFigures, floor: Floor) => Math.max(each.cpuRatio, instructionsRatio(each, floor) ?? 0);

function coldStartDetails(figures: Map<string, ColdStartFigures>, floor: Floor) {
  return Object.fromEntries(
    [...figures].map(([name, each]) => {
      const byInstructions = instructionsRatio(each, floor);
      return [
        name,
        {
          cpuMicroseconds: Math.round(each.cpuMicroseconds),
          tlsFloorCpuMicroseconds: Math.round(each.floorCpuMicroseconds),
          cpuRatio: round(each.cpuRatio),
          ...(floor.counted
            ? byInstructions === undefined
              ? { instructions: 'not counted: every run under callgrind retried a request that timed out' }
              : {
                  instructions: each.instructions,
                  tlsFloorInstructions: floor.instructions,
                  instructionsRatio: round(byInstructions, 3),
                }
            : {}),
          kilobytesLoaded: round(each.kilobytesLoaded, 1),
          awsRequests: each.requests,
          answer: each.answer,
        },
      ];
    }),
  );
}

const COLD_START_METHOD =
  'CPU time (the process’s own process.cpuUsage() at its first answer), median of runs alternating with the TLS floor; and, in the full run with valgrind, callgrind instructions of one run of each (start to exit, retried if a request timed out under it) against the least of two of the floor';

/** The service's own stage, as the construct declares it in its stage variables. */
const STAGE_VARIABLES = encodeMethods(
  compileMethods(
    ROUTES.filter((route) => route.authorization === 'apiKey').map(({ method, path, scope }) => ({ method, path, scope })),
  ),
);

function authorizerEvent(key: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/whoami',
    headers: { 'x-api-key': key },
    stageVariables: STAGE_VARIABLES,
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

/** P3: the authorizer's and POST /verify's import and first verification, over TLS to a DynamoDB on this machine. */
async function measureVerifierColdStarts(
  deployed: ReturnType<typeof synthesize>,
  certificate: Certificate,
  directory: string,
): Promise<() => BenchResult> {
  const database = await openEmbeddedDynamoDb();
  const engine = await listen(
    createRequestListener((request) => database.serve(request), { maxBodyBytes: 1024 * 1024, stopping: () => false }),
  );
  closers.push(async () => {
    await engine.close();
    await database.close();
  });
  const tableName = 'bench-keys';
  const client = new DynamoDBClient({
    endpoint: engine.url,
    region: REGION,
    credentials: credentialsOf(FUNCTION_CREDENTIALS),
  });
  const key = generateKey('ak');
  try {
    await client.send(new CreateTableCommand(createKeyTableInput(tableName)));
    // Its use recorded ahead of every start, so no lastUsedAt write is due: the first verification is the one read.
    await new DynamoKeyStore(DynamoDBDocumentClient.from(client), tableName).create({
      ...keyRecord(key, 0),
      lastUsedAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
  } finally {
    client.destroy();
  }
  const env = baseEnvironment(certificate);
  const functionEnv = (fn: DeployedFunction) => (endpoints: Endpoints) => ({
    ...env,
    ...fn.environment,
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
  });
  const starts: ColdStart[] = [
    {
      name: 'authorizer',
      fn: deployed.authorizer,
      env: functionEnv(deployed.authorizer),
      event: () => authorizerEvent(key),
      answered: (answer) => answer.principalId === keyRecord(key, 0).keyId,
    },
    {
      name: 'verifyKey',
      fn: deployed.handlers.verifyKey,
      env: functionEnv(deployed.handlers.verifyKey),
      event: () => ({
        httpMethod: 'POST',
        resource: '/verify',
        path: '/verify',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ key }),
        isBase64Encoded: false,
        requestContext: { identity: { userArn: 'arn:aws:iam::000000000000:user/bench' } },
      }),
      answered: (answer) => answer.statusCode === 200,
    },
  ];
  const { figures, floor } = await measureColdStarts(
    starts,
    certificate,
    { dynamoDb: engine.url },
    env,
    { cpu: SIZES.coldStarts, callgrind: CALLGRIND_ATTEMPTS },
    directory,
  );
  return () => {
    const all = [...figures.values()];
    const ratio = Math.max(...all.map((each) => ratioOf(each, floor)));
    const kilobytes = Math.max(...all.map((each) => each.kilobytesLoaded));
    const authorizer = figures.get('authorizer') as ColdStartFigures;
    return {
      id: 'P3',
      measure: 'authorizer and POST /verify: import plus the first verification over TLS, the worst of the two',
      measured: true,
      figure: Math.round(authorizer.cpuMicroseconds),
      unit: 'µs CPU (authorizer)',
      baseline: Math.round(authorizer.floorCpuMicroseconds),
      baselineName: 'the TLS floor: an ES module importing node:https, one request to the same endpoint',
      ratio: round(ratio, 3),
      budget: '≤ 1.3 × the TLS floor; ≤ 64 KB of code loaded by then',
      pass: ratio <= 1.3 && kilobytes <= 64,
      method: COLD_START_METHOD,
      details: { largestKilobytesLoaded: round(kilobytes, 1), functions: coldStartDetails(figures, floor) },
    };
  };
}

/** P3h: every other handler's import and first request, its AWS calls over TLS to `npm start`'s emulated AWS. */
async function measureHandlerColdStarts(
  deployed: ReturnType<typeof synthesize>,
  certificate: Certificate,
  server: { baseUrl: string; env: Record<string, string>; engine: string },
  directory: string,
): Promise<() => BenchResult> {
  const config = readLocalConfig(server.env);
  // Each start of a handler that ends a key needs a key of its own: the CPU runs, the tracer's, callgrind's.
  const tenant = await benchTenant(server.baseUrl, 'bench-cold-starts', ENDS_A_KEY.size * (SIZES.handlerColdStarts + 1));
  const env = baseEnvironment(certificate);
  const names = (Object.keys(HANDLERS) as HandlerName[]).filter((name) => name !== 'verifyKey');
  const starts: ColdStart[] = names.map((name) => ({
    name,
    fn: deployed.handlers[name],
    env: (endpoints) => ({
      ...env,
      ...firstRequestEnvironment(name, deployed.handlers[name].environment, config, server.baseUrl),
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
      AWS_ENDPOINT_URL: endpoints.otherApis as string,
    }),
    event: () => firstRequestEvent(name, tenant, config.plans.default),
    answered: (answer) => answer.statusCode !== undefined && answer.statusCode < 500,
  }));
  // DynamoDB is the engine local mode uses; every other AWS API is local mode's own.
  const { figures, floor } = await measureColdStarts(
    starts,
    certificate,
    { dynamoDb: server.engine, otherApis: server.baseUrl },
    env,
    // By CPU time only: under callgrind the AWS SDK's 500 ms connection timeout rarely survives a TLS
    // handshake, and what it would count is the SDK's retries.
    { cpu: SIZES.handlerColdStarts, callgrind: 0 },
    directory,
  );
  return () => {
    const all = [...figures.values()];
    const ratio = Math.max(...all.map((each) => ratioOf(each, floor)));
    const kilobytes = Math.max(...all.map((each) => each.kilobytesLoaded));
    const over = [...figures]
      .filter(([, each]) => ratioOf(each, floor) > 2.5 || each.kilobytesLoaded > 500)
      .map(([name]) => name);
    return {
      id: 'P3h',
      measure: 'every other handler: import plus its first request, AWS calls over TLS, the worst handler',
      measured: true,
      figure: round(ratio, 2),
      unit: '× the TLS floor',
      baseline: Math.round(median(all.map((each) => each.floorCpuMicroseconds))),
      baselineName: 'µs CPU of the TLS floor against the same endpoint',
      ratio: round(ratio, 3),
      budget: '≤ 2.5 × the TLS floor; ≤ 500 KB of code loaded by then',
      pass: over.length === 0,
      method: `${COLD_START_METHOD}; P3h by CPU time only (under callgrind the AWS SDK's 500 ms connection timeout rarely survives a TLS handshake: it would count retries)`,
      details: { overBudget: over, largestKilobytesLoaded: round(kilobytes, 1), handlers: coldStartDetails(figures, floor) },
    };
  };
}

/** A tenant in `npm start` with a key to read and `spares` keys for requests that end one. */
async function benchTenant(baseUrl: string, tenantId: string, spares: number): Promise<BenchTenant> {
  const first = await createKey(baseUrl, tenantId);
  const spareIds: string[] = [];
  for (let i = 0; i < spares; i++) spareIds.push((await createKey(baseUrl, tenantId)).id);
  return {
    tenantId,
    keyId: first.id,
    spareKeyId: () => {
      const spare = spareIds.pop();
      if (!spare) throw new Error('The bench ran out of spare keys');
      return spare;
    },
  };
}

// ---------------------------------------------------------------- the authorizer against DynamoDB: P1, P2, P4

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

const listen = (listener: RequestListener) => listening(createServer({ keepAliveTimeout: 60_000 }, listener));

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
    keyId: `key_01JBENCH${String(index).padStart(18, '0')}`,
    tenantId: 'bench',
    name: `bench key ${index}`,
    hint: hintFor(key),
    scopes: ['keys:manage'],
    enabled: true,
    createdAt: new Date().toISOString(),
  };
}

const credentialsOf = (env: typeof FUNCTION_CREDENTIALS) => ({
  accessKeyId: env.AWS_ACCESS_KEY_ID,
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
});

/** A malformed key, and one of the right shape whose checksum is wrong: both refused before any read. */
function refusedWithoutReading(): string[] {
  const valid = generateKey('ak');
  const last = valid.at(-1) === 'A' ? 'B' : 'A';
  return ['not-a-key', `${valid.slice(0, -1)}${last}`];
}

const probe = <T>(request: Record<string, unknown>, env: Record<string, string>) =>
  jsonOf<T>([PROBE, JSON.stringify(request)], env);

async function measureAuthorizer(
  authorizer: DeployedFunction,
  certificate: Certificate,
  directory: string,
): Promise<(() => BenchResult)[]> {
  const bundle = entryOf(authorizer);
  const baselineDirectory = join(directory, 'bare-get-item');
  bundleFunction(join(__dirname, 'bare-get-item.ts'), baselineDirectory);
  const key = generateKey('ak');
  const instant = countingListener(instantDynamoDb(keyRecord(key, 0)));
  // Over TLS, as the functions reach DynamoDB; in this process, so its CPU is not the probe's.
  const stub = await serveTls(certificate, instant.listener);
  const env = { ...baseEnvironment(certificate), ...authorizer.environment, AWS_ENDPOINT_URL_DYNAMODB: stub.url };
  const refused = refusedWithoutReading().map(authorizerEvent);
  let rejections: { perSecond: number; baselinePerSecond: number };
  let callsForRefusals: number;
  let verifications: {
    verificationMicroseconds: number;
    getItemMicroseconds: number;
    outsideIoMicroseconds: number;
    differenceRangeMicroseconds: [number, number];
  };
  try {
    rejections = await probe(
      { measure: 'rejections', bundle, events: refused, iterations: SIZES.rejections, rounds: SIZES.rounds },
      env,
    );
    callsForRefusals = [...instant.counts.values()].reduce((sum, count) => sum + count, 0);
    verifications = await probe(
      {
        measure: 'verifications',
        bundle,
        baseline: join(baselineDirectory, 'index.mjs'),
        event: authorizerEvent(key),
        iterations: SIZES.verifications,
        rounds: SIZES.rounds,
      },
      env,
    );
  } finally {
    await stub.close();
  }
  const instructions: { refusal?: number; floor?: number } = {};
  if (INSTRUCTIONS) {
    const loop = (iterations: number, floor: boolean) =>
      instructionsOf(NODE, [PROBE, JSON.stringify({ measure: 'refusalLoop', bundle, events: refused, iterations, floor })], env);
    const perRefusal = async (floor: boolean) =>
      ((await loop(REFUSAL_LOOPS[1], floor)) - (await loop(REFUSAL_LOOPS[0], floor))) / (REFUSAL_LOOPS[1] - REFUSAL_LOOPS[0]);
    callgrindJobs.push(async () => {
      instructions.refusal = await perRefusal(false);
    });
    callgrindJobs.push(async () => {
      instructions.floor = await perRefusal(true);
    });
  }
  const p4 = await measureTableCalls(authorizer, bundle, certificate);
  return [
    () => {
      const rateRatio = rejections.perSecond / rejections.baselinePerSecond;
      const instructionRatio =
        instructions.refusal !== undefined ? instructions.refusal / (instructions.floor as number) : undefined;
      return {
        id: 'P1',
        measure: 'malformed and bad-checksum keys refused, on one core',
        measured: true,
        figure: Math.round(rejections.perSecond),
        unit: 'refusals per CPU second',
        baseline: Math.round(rejections.baselinePerSecond),
        baselineName: 'throwing one pre-built Error from an async function',
        ratio: round(rateRatio),
        budget: '0 DynamoDB calls; ≤ 2 × the instructions of the throw, ≥ 0.8 × its rate by CPU time',
        pass: callsForRefusals === 0 && rateRatio >= 0.8 && (instructionRatio === undefined || instructionRatio <= 2),
        method:
          'CPU time of 5–7 alternating rounds in one process (process.cpuUsage()), the stack of each rejection read as Lambda does; instructions per refusal by callgrind: the slope between loops of 5,000 and 25,000',
        details: {
          dynamoDbCalls: callsForRefusals,
          ...(instructionRatio !== undefined
            ? {
                instructionsPerRefusal: Math.round(instructions.refusal as number),
                instructionsPerFloorThrow: Math.round(instructions.floor as number),
                instructionsRatio: round(instructionRatio),
              }
            : {}),
        },
      };
    },
    () => ({
      id: 'P2',
      measure: 'warm verification: CPU outside I/O, and per verification with the client',
      measured: true,
      figure: round(verifications.outsideIoMicroseconds, 1),
      unit: 'µs outside I/O',
      baseline: round(verifications.getItemMicroseconds, 1),
      baselineName: 'µs CPU of a bare GetItem through the same client, over TLS',
      ratio: round(verifications.verificationMicroseconds / verifications.getItemMicroseconds),
      budget: '≤ 25 µs CPU outside I/O; ≤ 300 µs CPU per verification including the client',
      pass: verifications.outsideIoMicroseconds <= 25 && verifications.verificationMicroseconds <= 300,
      method:
        'process.cpuUsage() around each call, a verification and a bare GetItem in turn, DynamoDB answering at once over TLS from another process; median over rounds of the paired difference',
      details: {
        verificationMicroseconds: round(verifications.verificationMicroseconds, 1),
        roundsDifferenceRangeMicroseconds: verifications.differenceRangeMicroseconds.map((value) => round(value, 1)),
      },
    }),
    () => p4,
  ];
}

/** P4 on the embedded engine local mode runs: what verifications cost the table. */
async function measureTableCalls(authorizer: DeployedFunction, bundle: string, certificate: Certificate): Promise<BenchResult> {
  const database = await openEmbeddedDynamoDb();
  const counting = countingListener(
    createRequestListener((request) => database.serve(request), { maxBodyBytes: 1024 * 1024, stopping: () => false }),
  );
  const server = await listen(counting.listener);
  const tableName = 'bench-keys';
  const client = new DynamoDBClient({
    endpoint: server.url,
    region: REGION,
    credentials: credentialsOf(FUNCTION_CREDENTIALS),
  });
  try {
    await client.send(new CreateTableCommand(createKeyTableInput(tableName)));
    const store = new DynamoKeyStore(DynamoDBDocumentClient.from(client), tableName);
    const keys = [generateKey('ak'), generateKey('ak'), generateKey('ak')];
    for (const [index, key] of keys.entries()) await store.create(keyRecord(key, index + 1));
    counting.counts.clear();
    const repeat = QUICK ? 5 : 50;
    const env = {
      ...baseEnvironment(certificate),
      ...authorizer.environment,
      TABLE_NAME: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: server.url,
    };
    const { allowed } = await probe<{ allowed: number }>(
      { measure: 'calls', bundle, events: [...keys, ...refusedWithoutReading()].map(authorizerEvent), repeat },
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
      measured: true,
      figure: round(reads / verifications, 3),
      unit: 'GetItem/verification',
      baseline: 1,
      baselineName: 'one GetItem each',
      ratio: round(reads / verifications, 3),
      budget: 'exactly 1 GetItem per uncached verification; ≤ 1 write per key per minute',
      pass: reads === verifications && writes <= keys.length && others.length === 0,
      method: 'operations counted at the endpoint (X-Amz-Target), the authorizer bundle against the embedded engine',
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

// ---------------------------------------------------------------- local mode: P3h, P5, P6

/** A bare node:http server in a process of its own, answering every request with this body. */
async function bareServer(body: string): Promise<{ url: string; pid: number; stop(): void }> {
  const script = `require('node:http').createServer((q, s) => { q.resume(); s.writeHead(200, { 'content-type': 'application/json' }); s.end(${JSON.stringify(body)}); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(NODE, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${port.toString().trim()}`, pid: child.pid as number, stop: () => child.kill() };
}

/** dynalite in a process of its own (test/support/dynalite-process.ts), so its CPU is its own. */
async function engineProcess(path: string): Promise<{ url: string; pid: number; stop(): void }> {
  const child: ChildProcess = spawn(NODE, ['--import', 'tsx', join(REPOSITORY_ROOT, 'test/support/dynalite-process.ts'), path], {
    cwd: REPOSITORY_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolveEndpoint, rejectEndpoint) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      const ready = /DynamoDB endpoint (http:\/\/\S+)/.exec(output);
      if (ready) resolveEndpoint(ready[1]);
    });
    child.once('exit', (code) => rejectEndpoint(new Error(`The engine exited with ${code}: ${output}`)));
  });
  return { url, pid: child.pid as number, stop: () => child.kill() };
}

/** A GetItem as the clients send it; the engine takes any signature, so one is enough. */
function rawGetItem(tableName: string, keyHash: string) {
  return {
    method: 'POST' as const,
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

async function measureLocalMode(
  directory: string,
  deployed: ReturnType<typeof synthesize> | undefined,
  certificate: Certificate,
): Promise<(() => BenchResult)[]> {
  const engine = await engineProcess(join(directory, 'engine'));
  closers.push(async () => engine.stop());
  const gitHubKeys = join(directory, 'github-keys.json');
  writeGitHubKeys(gitHubKeys);
  const common = {
    GITHUB_SECRET_SCANNING_KEYS_FILE: gitHubKeys,
    DYNAMODB_ENDPOINT: engine.url,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
    PLANS_FILE: ROOMY_PLANS_FILE,
    AWS_REGION: REGION,
    ...FUNCTION_CREDENTIALS,
  };
  const cachedEnv = { ...common, DATA_DIR: join(directory, 'cached') };
  const cached = await startLocalServer(cachedEnv, 60_000);
  closers.push(async () => void (await cached.stop()));
  const uncached = await startLocalServer(
    { ...common, DATA_DIR: join(directory, 'uncached'), AUTHORIZER_CACHE_TTL_SECONDS: '0' },
    60_000,
  );
  closers.push(async () => void (await uncached.stop()));
  const results: (() => BenchResult)[] = [];
  if (wanted('P5', 'P6')) {
    // A tenant per server: each server keeps its own emulated API Gateway keys, which put a tenant in its plan.
    const [{ key }, { key: uncachedKey }] = [
      await createKey(cached.baseUrl, 'bench-cached'),
      await createKey(uncached.baseUrl, 'bench-uncached'),
    ];
    const whoami = { headers: { 'x-api-key': key } };
    const answer = await fetch(new URL('/whoami', cached.baseUrl), whoami);
    const bare = await bareServer(await answer.text());
    let gateway: { measured: number; baseline: number };
    let verification: { measured: number; baseline: number };
    try {
      gateway = await paired(
        () => cpuPerRequest([cached.serverPid()], { url: `${cached.baseUrl}/whoami`, ...whoami }, SIZES.loadSeconds),
        () => cpuPerRequest([bare.pid], { url: bare.url }, SIZES.loadSeconds),
      );
      verification = await paired(
        () =>
          cpuPerRequest(
            [uncached.serverPid()],
            { url: `${uncached.baseUrl}/whoami`, headers: { 'x-api-key': uncachedKey } },
            SIZES.loadSeconds,
          ),
        () =>
          cpuPerRequest([engine.pid], { ...rawGetItem('api-keys', hashKey(uncachedKey)), url: engine.url }, SIZES.loadSeconds),
      );
    } finally {
      bare.stop();
    }
    const p6 = await measureConsole(cached.baseUrl);
    const gatewayRatio = gateway.baseline / gateway.measured;
    const verificationRatio = verification.baseline / verification.measured;
    results.push(
      () => ({
        id: 'P5',
        measure: 'local gateway: server CPU per cached GET /whoami (and per uncached one, in details)',
        measured: true,
        figure: round(gateway.measured, 1),
        unit: 'µs CPU/request cached',
        baseline: round(gateway.baseline, 1),
        baselineName: 'µs CPU/request of a bare node:http server, same body',
        ratio: round(Math.min(gatewayRatio, verificationRatio)),
        budget: '≥ 50 % of a bare node:http server (cached) and of raw GetItem (uncached), by server CPU per request',
        pass: gatewayRatio >= 0.5 && verificationRatio >= 0.5,
        method: `CPU of the server process from /proc per request answered, autocannon at ${LOAD_RATE} requests/s (under the bench plan's limit), median of alternating runs after one untimed warm-up run of each (the server and its baseline alike); the engine in a process of its own`,
        details: {
          cachedRatio: round(gatewayRatio),
          uncachedMicroseconds: round(verification.measured, 1),
          rawGetItemEngineMicroseconds: round(verification.baseline, 1),
          uncachedRatio: round(verificationRatio),
          requestsPerSecond: LOAD_RATE,
          secondsPerRun: SIZES.loadSeconds,
        },
      }),
      () => p6,
    );
  }
  if (deployed && wanted('P3h')) {
    results.push(
      await measureHandlerColdStarts(
        deployed,
        certificate,
        { baseUrl: cached.baseUrl, env: cachedEnv, engine: engine.url },
        directory,
      ),
    );
  }
  return results;
}

async function createKey(baseUrl: string, tenantId: string): Promise<{ id: string; key: string }> {
  const created = await signedCall(baseUrl, ADMIN, 'POST', `/tenants/${tenantId}/keys`, { body: { name: 'bench' } });
  if (created.status !== 201) throw new Error(`Creating the bench key answered ${created.status}: ${created.text}`);
  return created.json as { id: string; key: string };
}

/**
 * Runs each pair in turn, several rounds: the median of each. A first round of
 * each goes untimed: a server just started is still compiling its paths (V8's
 * tiers), which rounds of a few seconds would count as the path's cost.
 */
async function paired(measured: () => Promise<number>, baseline: () => Promise<number>) {
  await measured();
  await baseline();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    a.push(await measured());
    b.push(await baseline());
  }
  return { measured: median(a), baseline: median(b) };
}

async function measureConsole(baseUrl: string): Promise<BenchResult> {
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
      blankRuns.push((await interactive(blank.url)).elapsed);
    }
    const elapsed = median(consoleRuns.map((run) => run.elapsed));
    const scriptBytes = Math.max(...consoleRuns.map((run) => run.scriptBytes));
    return {
      id: 'P6',
      measure: 'console page: interactive (its Sign in button), and its JavaScript',
      measured: true,
      figure: Math.round(elapsed),
      unit: 'ms',
      baseline: Math.round(median(blankRuns)),
      baselineName: 'a static page with one button, same browser',
      ratio: round(elapsed / median(blankRuns)),
      budget: '≤ 100 KB of JavaScript; interactive in ≤ 1 s locally',
      pass: elapsed <= 1_000 && scriptBytes <= 100 * 1024,
      method:
        'wall time in Chromium (the one budget DESIGN states in time), median of alternating loads; script bytes as received',
      details: { javaScriptKilobytes: round(scriptBytes / 1024, 1) },
    };
  } finally {
    await browser.close();
    await blank.close();
  }
}

// ---------------------------------------------------------------- the report

const display = (value: number | null) => (value === null ? '—' : value.toLocaleString('en-US'));

function table(results: BenchResult[]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['id', 'measure', 'figure', 'baseline', 'ratio', 'budget', 'pass']),
    line(['---', '---', '---:', '---', '---:', '---', '---']),
    ...results.map((result) =>
      line([
        result.id,
        result.measure,
        result.measured ? `${display(result.figure)} ${result.unit}` : `not measured: ${String(result.details?.notMeasured)}`,
        result.measured ? `${display(result.baseline)} (${result.baselineName})` : '—',
        display(result.ratio),
        result.budget,
        result.pass ? 'yes' : '**no**',
      ]),
    ),
  ].join('\n');
}

/** The cost per million requests, where this run measured what it needs: P2's CPU per verification and P3's cold start. */
function costOf(results: BenchResult[], accessLogFormat: string | undefined): CostModel | undefined {
  const p2 = results.find((result) => result.id === 'P2');
  const p3 = results.find((result) => result.id === 'P3');
  if (!p2 || !p3 || accessLogFormat === undefined) return undefined;
  return costPerMillionRequests({
    verificationCpuMicroseconds: p2.details?.verificationMicroseconds as number,
    coldStartCpuMicroseconds: p3.figure as number,
    accessLogFormat,
  });
}

function costTable(cost: CostModel): string {
  const dollars = (value: number) => `$${value.toFixed(value < 0.01 ? 4 : 3)}`;
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [
    `cost per million requests to a protected method, us-east-1 (docs/performance.md): ${cost.billedMillisecondsPerVerification} ms billed per verification, ${cost.initMilliseconds} ms per init, EMF lines ${cost.emfLineBytes.oneOutcome}–${cost.emfLineBytes.busySecond} B, access-log lines ${cost.accessLogLineBytes} B; plus ${cost.customMetrics} custom metrics, $${cost.customMetricsPerMonth} a month`,
    '',
    line([
      'API',
      'cache hit rate',
      'Lambda requests',
      'duration',
      'init',
      'DynamoDB reads',
      'writes',
      'EMF logs',
      'access logs',
      'API Gateway',
      'total',
    ]),
    line(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...cost.rows.map((row) =>
      line([
        row.api,
        `${Math.round(row.hitRate * 100)} %`,
        ...[
          row.lambdaRequests,
          row.lambdaDuration,
          row.lambdaInit,
          row.dynamoDbReads,
          row.dynamoDbWrites,
          row.emfLogs,
          row.accessLogs,
          row.apiGateway,
          row.total,
        ].map(dollars),
      ]),
    ),
  ].join('\n');
}

/** Runs a group of measures, and says on stderr how long it took: the whole bench must stay under 5 minutes. */
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const value = await run();
  console.error(`bench: ${name} in ${Math.round((Date.now() - started) / 1000)} s`);
  return value;
}

/** What is stopped once the measures are made (instruction counts included). */
const closers: (() => Promise<void>)[] = [];

/** Sorted as DESIGN lists them: P3h after P3. */
const order = (id: string) => Number.parseFloat(id.slice(1).replace('h', '.5'));

async function main(): Promise<void> {
  if (NODE !== process.execPath) {
    // The whole bench runs on Node 24, so what it measures in its own processes is too.
    // `npm start`, which P3h, P5 and P6 run, takes the node first on PATH.
    const env = { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` };
    const rerun = spawnSync(NODE, ['--import', 'tsx', __filename], { stdio: 'inherit', env });
    process.exit(rerun.status ?? 2);
  }
  const startedAt = Date.now();
  const directory = await makeTempDir('bench-performance');
  const rows: (() => BenchResult)[] = [];
  let accessLogFormat: string | undefined;
  try {
    const certificate = makeCertificate(directory.path);
    const deployed = wanted('P1', 'P2', 'P3', 'P4', 'P3h')
      ? await phase('synth', async () => synthesize(join(directory.path, 'cdk.out')))
      : undefined;
    accessLogFormat = deployed?.accessLogFormat;
    if (deployed && wanted('P1', 'P2', 'P4')) {
      rows.push(...(await phase('P1, P2, P4', () => measureAuthorizer(deployed.authorizer, certificate, directory.path))));
    }
    if (deployed && wanted('P3'))
      rows.push(await phase('P3', () => measureVerifierColdStarts(deployed, certificate, directory.path)));
    if (wanted('P3h', 'P5', 'P6')) {
      rows.push(...(await phase('P3h, P5, P6', () => measureLocalMode(directory.path, deployed, certificate))));
    }
    if (wanted('P7')) {
      const p7 = await phase('P7', measureAdminCallDepth);
      rows.push(() => p7);
    }
    await phase(`instruction counts (${callgrindJobs.length} callgrind jobs, two at a time)`, () => inPairs(callgrindJobs));
  } finally {
    for (const close of closers.reverse()) await close();
    await directory.remove();
  }
  const results = rows.map((row) => row()).sort((a, b) => order(a.id) - order(b.id));
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model.trim(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    instructionCounts: INSTRUCTIONS,
  };
  const cost = costOf(results, accessLogFormat);
  const report = {
    quick: QUICK,
    machine,
    seconds: Math.round((Date.now() - startedAt) / 1000),
    results,
    ...(cost ? { cost } : {}),
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    [
      `machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGiB} GiB, Node ${machine.node}${QUICK ? ' (quick run)' : ''}${INSTRUCTIONS ? ', instruction counts by callgrind' : ''}`,
      '',
      table(results),
      ...(cost ? ['', costTable(cost)] : []),
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
