import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasChromium } from '../support/prerequisites';
import { makeTempDir } from '../support/temp-dir';

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const BENCH_TIMEOUT_MS = 300_000;
/** DESIGN §15: every budget has a row, in this order. */
const BUDGET_IDS = ['P1', 'P2', 'P3', 'P3h', 'P4', 'P5', 'P6', 'P7'];
/** How the bench ends: every budget met, or a budget missed; anything else is a failure of the bench itself. */
const MEASURED_EXIT_CODES = [0, 1];

const describeInBrowser = hasChromium() ? describe : describe.skip;

describeInBrowser('npm run bench, in its quick mode', () => {
  it(
    'measures every budget against its baseline and writes each figure, baseline, ratio, budget and verdict',
    async () => {
      const directory = await makeTempDir('bench');
      try {
        const resultsFile = join(directory.path, 'results.json');
        const bench = spawn('npm', ['run', 'bench'], {
          cwd: REPOSITORY_ROOT,
          env: { ...process.env, BENCH_QUICK: '1', BENCH_RESULTS: resultsFile, npm_config_update_notifier: 'false' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        bench.stdout.on('data', (chunk: Buffer) => (output += chunk));
        bench.stderr.on('data', (chunk: Buffer) => (output += chunk));
        const [code] = await once(bench, 'exit');
        if (!MEASURED_EXIT_CODES.includes(code)) throw new Error(`npm run bench exited with ${code}:\n${output}`);

        const report = JSON.parse(readFileSync(resultsFile, 'utf8'));
        expect(report.quick).toBe(true);
        expect(report.machine).toEqual(expect.objectContaining({ cpus: expect.any(Number), node: process.version }));
        expect(report.results.map((result: { id: string }) => result.id)).toEqual(BUDGET_IDS);
        const byId = Object.fromEntries(report.results.map((result: { id: string }) => [result.id, result]));
        // Counted, not timed (bench/admin-call-depth.ts): the same however busy the machine.
        expect(byId.P7).toMatchObject({ measured: true, pass: true });
        for (const result of report.results) {
          expect(result).toEqual(
            expect.objectContaining({ budget: expect.any(String), method: expect.any(String), pass: expect.any(Boolean) }),
          );
          if (result.measured) {
            expect([result.figure, result.baseline, result.ratio].every(Number.isFinite)).toBe(true);
          } else {
            // A budget not measured is not met, and the row says why.
            expect(result.pass).toBe(false);
            expect(result.details.notMeasured).toEqual(expect.any(String));
          }
          // The table printed for each row, with its verdict.
          expect(output).toMatch(new RegExp(`^\\| ${result.id} \\|.*\\| (yes|\\*\\*no\\*\\*) \\|$`, 'm'));
        }
        // What holds however few iterations ran: no read for malformed keys, one GetItem per verification.
        expect(byId.P1.details.dynamoDbCalls).toBe(0);
        expect(byId.P4.pass).toBe(true);
        // The functions that verify keys load what the budget allows, and every handler answered its first request.
        expect(byId.P3.details.largestKilobytesLoaded).toBeLessThanOrEqual(64);
        for (const handler of Object.values(byId.P3h.details.handlers) as { answer: { statusCode: number } }[]) {
          expect(handler.answer.statusCode).toBeLessThan(500);
        }
        expect(code === 0).toBe(report.results.every((result: { pass: boolean }) => result.pass));
      } finally {
        await directory.remove();
      }
    },
    BENCH_TIMEOUT_MS,
  );
});
