/**
 * One measure of the deployed authorizer bundle, in a process of its own (one
 * core, nothing else running in it): `node --import tsx bench/authorizer-probe.ts '<json>'`
 * prints its result as JSON. bench/performance.ts starts it with the function's
 * environment, its DynamoDB endpoint in AWS_ENDPOINT_URL_DYNAMODB.
 */
import { pathToFileURL } from 'node:url';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { compileMethods, encodeMethods } from '../src/protected-methods';
import { ROUTES } from '../src/routes';

type ProbeRequest =
  /** Rejections per second of keys refused before any read, against throwing one built error. */
  | { measure: 'rejections'; bundle: string; keys: string[]; iterations: number; rounds: number }
  /** CPU per valid verification, against a bare GetItem through the same bundled client. */
  | { measure: 'verifications'; bundle: string; baseline: string; key: string; iterations: number; rounds: number }
  /** Just answers: the parent counts what reached the table. */
  | { measure: 'calls'; bundle: string; keys: string[]; repeat: number };

type Handler = (event: APIGatewayRequestAuthorizerEvent) => Promise<unknown>;

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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function load(bundle: string): Promise<Handler> {
  return ((await import(pathToFileURL(bundle).href)) as { handler: Handler }).handler;
}

/** What the Lambda runtime does with a rejection: it reads the error's stack to report it. */
async function refuse(handler: Handler, event: APIGatewayRequestAuthorizerEvent): Promise<void> {
  try {
    await handler(event);
  } catch (error) {
    if ((error as Error).stack === undefined) throw new Error('A rejection without a stack');
    return;
  }
  throw new Error('A key the bench meant to be refused was accepted');
}

async function rejections(request: Extract<ProbeRequest, { measure: 'rejections' }>) {
  const handler = await load(request.bundle);
  const events = request.keys.map(authorizerEvent);
  const prebuilt = new Error('Unauthorized');
  // The floor: an async function that throws one error built beforehand, its stack read.
  const floor: Handler = async () => {
    throw prebuilt;
  };
  const rate = async (subject: Handler) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < request.iterations; i++) await refuse(subject, events[i % events.length]);
    return request.iterations / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  await rate(handler);
  await rate(floor);
  const measured: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < request.rounds; round++) {
    measured.push(await rate(handler));
    baseline.push(await rate(floor));
  }
  return { perSecond: median(measured), baselinePerSecond: median(baseline) };
}

async function verifications(request: Extract<ProbeRequest, { measure: 'verifications' }>) {
  const handler = await load(request.bundle);
  const bareGetItem = await load(request.baseline);
  const event = authorizerEvent(request.key);
  const cpuOf = async (run: () => Promise<unknown>) => {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    return used.user + used.system;
  };
  const verify = () => handler(event);
  const get = () => bareGetItem(event);
  /** One round: a verification and a GetItem in turn, each call timed, so both see the same moments of the machine. */
  const roundOf = async () => {
    let verifying = 0;
    let getting = 0;
    for (let i = 0; i < request.iterations; i++) {
      verifying += await cpuOf(verify);
      getting += await cpuOf(get);
    }
    return { verification: verifying / request.iterations, getItem: getting / request.iterations };
  };
  // Warm: connections open, code optimized.
  await roundOf();
  const rounds: { verification: number; getItem: number }[] = [];
  for (let round = 0; round < request.rounds; round++) rounds.push(await roundOf());
  const measured = rounds.map((round) => round.verification);
  const baseline = rounds.map((round) => round.getItem);
  const differences = rounds.map((round) => round.verification - round.getItem).sort((x, y) => x - y);
  return {
    verificationMicroseconds: median(measured),
    getItemMicroseconds: median(baseline),
    // Paired: each round's verifications against the GetItems made between them.
    outsideIoMicroseconds: median(differences),
    // How far the rounds disagree: a difference smaller than this is within the machine's noise.
    differenceRangeMicroseconds: [differences[0], differences[differences.length - 1]],
  };
}

async function calls(request: Extract<ProbeRequest, { measure: 'calls' }>) {
  const handler = await load(request.bundle);
  let allowed = 0;
  for (let i = 0; i < request.repeat; i++) {
    for (const key of request.keys) {
      try {
        await handler(authorizerEvent(key));
        allowed++;
      } catch {
        // Refused: the parent counts what it cost.
      }
    }
  }
  return { allowed };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as ProbeRequest;
  const result =
    request.measure === 'rejections'
      ? await rejections(request)
      : request.measure === 'verifications'
        ? await verifications(request)
        : await calls(request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
