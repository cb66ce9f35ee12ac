/**
 * Local mode while its database fails: starts `npm start` with DYNAMODB_ENDPOINT
 * at a proxy in front of dynalite (test/support/fault-proxy.ts), and for each
 * scenario (the database killed mid-load and restarted, every answer late,
 * requests throttled) drives a mixed load on a tenant of its own, then checks
 * what the service promises (test/support/fault-load.ts) and prints a table.
 *
 *   npm run faults [-- clients, default 8]    (node --import tsx bench/faults.ts)
 *
 * Exits 1 if any promise was broken. Not part of npm test: it takes a few
 * minutes; test/e2e/database-faults.test.ts runs a small version of it.
 */
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type FaultLoadReport, faultScenarios, runFaultLoad, violationCount } from '../test/support/fault-load';
import { startFaultProxy } from '../test/support/fault-proxy';
import { startLocalServer } from '../test/support/local-server-process';
import { makeTempDir } from '../test/support/temp-dir';

const CLIENTS = Number(process.argv[2] ?? 8);
const SEED_KEYS = 20;
const ADMIN = { accessKeyId: 'AKIABENCHFAULTS00000', secretAccessKey: 'bench-faults-secret-0000000000000000000' };
/** The SDK gives up on an answer after 1 s (src/store/dynamodb-client.ts). */
const LATE_BY_MS = 1_500;
/** Longer than an idempotency claim's lease (60 s), which a kill can leave held. */
const IDEMPOTENT_RETRY_FOR_MS = 90_000;
const ANSWER_TIMEOUT_MS = 60_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const statusesIn = (report: FaultLoadReport, matches: (status: number) => boolean) =>
  Object.entries(report.byStatus)
    .filter(([status]) => matches(Number(status)))
    .map(([status, count]) => `${count}×${status}`)
    .join(', ') || '0';

/** One row per measure, one column per scenario: the table docs/reliability.md shows. */
function table(results: { name: string; report: FaultLoadReport }[]): string {
  const rows: [string, (report: FaultLoadReport) => string | number][] = [
    ['requests sent', (r) => r.requests],
    ['answered 2xx', (r) => statusesIn(r, (status) => status < 300)],
    ['answered 503 / 409', (r) => `${r.byStatus[503] ?? 0} / ${r.byStatus[409] ?? 0}`],
    ['any other answer (500 …)', (r) => statusesIn(r, (status) => status >= 300 && status !== 503 && status !== 409)],
    ['503 or 409 without Retry-After', (r) => r.violations.missingRetryAfter.length],
    ['no answer, or none in 60 s', (r) => r.violations.noAnswer.length],
    ['worst answer time', (r) => seconds(r.worstAnswerMs)],
    ['creates acknowledged (keys checked)', (r) => `${r.acknowledgedCreates} (${r.keysChecked})`],
    ['acknowledged, then missing', (r) => r.violations.lost.length],
    ['idempotent clients: done / gave up', (r) => `${r.idempotentClients.completed} / ${r.idempotentClients.gaveUp}`],
    ['… longest until done (attempts)', (r) => `${seconds(r.idempotentClients.longestMs)} (${r.idempotentClients.mostAttempts})`],
    ['duplicate keys per Idempotency-Key', (r) => r.violations.duplicates.length],
    ['revocations, rotations: done / not', (r) => `${r.revocations.acknowledged} / ${r.revocations.notAcknowledged}`],
    ['half-written keys or rotations', (r) => r.violations.halfWritten.length],
    ['keys made by a request answered 503', (r) => r.landedDespite503],
  ];
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['', ...results.map(({ name }) => name)]),
    line(['---', ...results.map(() => '---')]),
    ...rows.map(([label, value]) => line([label, ...results.map(({ report }) => value(report))])),
  ].join('\n');
}

async function main(): Promise<void> {
  const directory = await makeTempDir('bench-faults');
  const proxy = await startFaultProxy({ path: join(directory.path, 'dynamodb') });
  const server = await startLocalServer(
    {
      DATA_DIR: join(directory.path, 'data'),
      DYNAMODB_ENDPOINT: proxy.endpoint,
      ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
      ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
      // Every authentication reaches the table, as a cache miss does.
      AUTHORIZER_CACHE_TTL_SECONDS: '0',
    },
    60_000,
  );
  const results: { name: string; report: FaultLoadReport }[] = [];
  try {
    const scenarios = faultScenarios({ beforeMs: 3_000, faultMs: 8_000, afterMs: 4_000, lateByMs: LATE_BY_MS });
    for (const [index, scenario] of scenarios.entries()) {
      const startedAt = Date.now();
      const report = await runFaultLoad({
        baseUrl: server.baseUrl,
        admin: ADMIN,
        tenant: `faults-${index}`,
        clients: CLIENTS,
        seedKeys: SEED_KEYS,
        during: (faultBegins) => scenario.run(proxy, faultBegins),
        idempotentRetryForMs: IDEMPOTENT_RETRY_FOR_MS,
        answerTimeoutMs: ANSWER_TIMEOUT_MS,
      });
      console.log(`${scenario.name}: ${seconds(Date.now() - startedAt)}, ${violationCount(report)} broken promises`);
      for (const [kind, lines] of Object.entries(report.violations)) for (const line of lines) console.log(`  ${kind}: ${line}`);
      results.push({ name: scenario.name, report });
    }
  } finally {
    await server.stop();
    await proxy.close();
    await directory.remove();
  }
  console.log(
    [
      '',
      `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      `${CLIENTS} clients at once, ${SEED_KEYS} keys seeded per scenario`,
      '',
      table(results),
    ].join('\n'),
  );
  if (results.some(({ report }) => violationCount(report) > 0)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
