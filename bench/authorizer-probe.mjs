// One measure of the deployed authorizer bundle, in a process of its own (one
// core, nothing else running in it): `node bench/authorizer-probe.mjs '<json>'`
// prints its result as JSON. bench/performance.ts starts it with the function's
// environment and builds the events it sends. Plain JavaScript, so no loader
// runs in the process measured.
import { pathToFileURL } from 'node:url';

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cpuMicroseconds = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function load(bundle) {
  return (await import(pathToFileURL(bundle).href)).handler;
}

/** What the Lambda runtime does with a rejection: it reads the error's stack to report it. */
async function refuse(handler, event) {
  try {
    await handler(event);
  } catch (error) {
    if (error.stack === undefined) throw new Error('A rejection without a stack');
    return;
  }
  throw new Error('A key the bench meant to be refused was accepted');
}

const prebuilt = new Error('Unauthorized');
/** P1's floor: an async function that throws one error built beforehand, its stack read. */
const floor = async () => {
  throw prebuilt;
};

async function refusals(handler, events, iterations) {
  for (let i = 0; i < iterations; i++) await refuse(handler, events[i % events.length]);
}

/** Refusals per second of CPU time, of the bundle and of the floor, in alternating rounds. */
async function rejections({ bundle, events, iterations, rounds }) {
  const handler = await load(bundle);
  const rate = async (subject) => {
    const started = cpuMicroseconds();
    await refusals(subject, events, iterations);
    return iterations / ((cpuMicroseconds() - started) / 1e6);
  };
  await rate(handler);
  await rate(floor);
  const measured = [];
  const baseline = [];
  for (let round = 0; round < rounds; round++) {
    measured.push(await rate(handler));
    baseline.push(await rate(floor));
  }
  return { perSecond: median(measured), baselinePerSecond: median(baseline) };
}

/** Just refusals, `iterations` of them, by the bundle or (`floor`) by the floor: callgrind counts the process. */
async function refusalLoop({ bundle, events, iterations, floor: ofFloor }) {
  const handler = await load(bundle);
  await refusals(ofFloor ? floor : handler, events, iterations);
  return { iterations };
}

/** CPU per valid verification, against a bare GetItem through the same client, each call timed in turn. */
async function verifications({ bundle, baseline, event, iterations, rounds }) {
  const handler = await load(bundle);
  const bareGetItem = await load(baseline);
  const cpuOf = async (run) => {
    const before = cpuMicroseconds();
    await run();
    return cpuMicroseconds() - before;
  };
  const verify = () => handler(event);
  const get = () => bareGetItem(event);
  const roundOf = async () => {
    let verifying = 0;
    let getting = 0;
    for (let i = 0; i < iterations; i++) {
      verifying += await cpuOf(verify);
      getting += await cpuOf(get);
    }
    return { verification: verifying / iterations, getItem: getting / iterations };
  };
  // Warm: connections open, code optimized.
  await roundOf();
  const results = [];
  for (let round = 0; round < rounds; round++) results.push(await roundOf());
  const differences = results.map((round) => round.verification - round.getItem).sort((x, y) => x - y);
  return {
    verificationMicroseconds: median(results.map((round) => round.verification)),
    getItemMicroseconds: median(results.map((round) => round.getItem)),
    // Paired: each round's verifications against the GetItems made between them.
    outsideIoMicroseconds: median(differences),
    // How far the rounds disagree: a difference smaller than this is within the machine's noise.
    differenceRangeMicroseconds: [differences[0], differences[differences.length - 1]],
  };
}

/** Just answers: the parent counts what reached the table. */
async function calls({ bundle, events, repeat }) {
  const handler = await load(bundle);
  let allowed = 0;
  for (let i = 0; i < repeat; i++) {
    for (const event of events) {
      try {
        await handler(event);
        allowed++;
      } catch {
        // Refused: the parent counts what it cost.
      }
    }
  }
  return { allowed };
}

const MEASURES = { rejections, refusalLoop, verifications, calls };
const request = JSON.parse(process.argv[2]);
const result = await MEASURES[request.measure](request);
// Exits once the line is out: whatever the measured code wrote before it is flushed first.
process.stdout.write(`bench-result ${JSON.stringify(result)}\n`, () => process.exit(0));
