/**
 * `npm start` on a database that fails (test/support/fault-proxy.ts): killed
 * mid-load and restarted on its data, answering every request later than the
 * SDK waits, and throttling half or all requests. A small mixed load runs
 * through each fault (test/support/fault-load.ts), and once the database is
 * healthy again the checks hold: every answer is one the API documents, every
 * 503 and 409 says when to retry, no acknowledged create or revocation is lost,
 * no Idempotency-Key yields two keys, no key is left half-revoked, and no answer
 * takes unboundedly long. `npm run faults` is the larger run that
 * docs/reliability.md reports.
 */
import { join } from 'node:path';
import { faultScenarios, runFaultLoad } from '../support/fault-load';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EFAULTS0000000', secretAccessKey: 'e2e-faults-secret-00000000000000000000' };
/**
 * A loose bound: deployed, a handler has 20 s (lib/api-key-service.ts) and gives up on the
 * database within it, whatever the database does. A client waits longer before it
 * calls a request hung.
 */
const ANSWER_BOUND_MS = 20_000;
const HUNG_AFTER_MS = 30_000;
const SCENARIO_TIMEOUT_MS = 60_000;

let directory: Awaited<ReturnType<typeof makeTempDir>>;
let proxy: FaultProxy;
let server: LocalServerProcess;

beforeAll(async () => {
  directory = await makeTempDir('e2e-faults');
  proxy = await startFaultProxy({ path: join(directory.path, 'dynamodb') });
  server = await startLocalServer(
    {
      DATA_DIR: join(directory.path, 'data'),
      DYNAMODB_ENDPOINT: proxy.endpoint,
      ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
      ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
      // Every authentication reaches the table.
      AUTHORIZER_CACHE_TTL_SECONDS: '0',
    },
    SCENARIO_TIMEOUT_MS,
  );
}, SCENARIO_TIMEOUT_MS);

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await proxy?.close();
    await directory?.remove();
  }
});

const timing = { beforeMs: 500, faultMs: 2_000, afterMs: 500, lateByMs: 1_500 };
// A slow database fails a call only once it has outlasted the call's three attempts, about 3.3 s.
const slowTiming = { ...timing, faultMs: 3_500 };
const scenarios = faultScenarios(timing).map((scenario, index) =>
  scenario.fault === 'slow' ? faultScenarios(slowTiming)[index] : scenario,
);

describe.each(scenarios.map((scenario, index) => [scenario.name, scenario, index] as const))('%s', (_name, scenario, index) => {
  it(
    'keeps every promise under load',
    async () => {
      const before = proxy.counts();
      const report = await runFaultLoad({
        baseUrl: server.baseUrl,
        admin: ADMIN,
        tenant: `faults-${index}`,
        clients: 3,
        seedKeys: 6,
        during: (faultBegins) => scenario.run(proxy, faultBegins),
        // Time for a client under the slow database (an attempt of about 6 s, then one more), or through the
        // restart or the throttling; one whose claim could not be released (the database refused it) gives up
        // rather than wait out the claim's 60 s lease.
        idempotentRetryForMs: scenario.fault === 'slow' ? 12_000 : 6_000,
        answerTimeoutMs: HUNG_AFTER_MS,
      });
      const after = proxy.counts();

      expect(report.violations).toEqual({
        unexpectedStatus: [],
        missingRetryAfter: [],
        noAnswer: [],
        lost: [],
        duplicates: [],
        halfWritten: [],
      });
      expect(report.worstAnswerMs).toBeLessThan(ANSWER_BOUND_MS);
      // A slow database does every write, releases included: no idempotent repeat waits out a claim's 60 s lease.
      if (scenario.fault === 'slow') expect(report.idempotentClients.gaveUp).toBe(0);
      // The fault was felt, so the checks above were put to the test.
      if (scenario.fault === 'throttled') expect(after.throttled).toBeGreaterThan(before.throttled);
      else expect(report.byStatus[503]).toBeGreaterThan(0);
      if (scenario.fault === 'slow') expect(after.delayed).toBeGreaterThan(before.delayed);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
