import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** Clock ticks per second of /proc's CPU times. */
const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The CPU seconds a process has used so far, all its threads, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // "pid (command) state …": utime and stime are the 14th and 15th fields; the command may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Load at a fixed rate, well under the bench's plan (10,000 requests a second,
 * bursts of 5,000: test/fixtures/roomy-plans.json), so no answer is a 429 however
 * idle the machine; the same rate for a measure and its baseline. What is
 * compared is CPU per request, which a fixed rate does not change.
 */
export const LOAD_RATE = 2_000;
const CONNECTIONS = 10;

/** Microseconds of the CPU of the processes `pids` per request answered, under load on `options.url`. */
export async function cpuPerRequest(pids: number[], options: autocannon.Options, seconds: number): Promise<number> {
  const before = pids.map(cpuSecondsOf);
  const result = await autocannon({ connections: CONNECTIONS, overallRate: LOAD_RATE, duration: seconds, ...options });
  const used = pids.reduce((sum, pid, index) => sum + cpuSecondsOf(pid) - before[index], 0);
  if (result.non2xx > 0 || result.errors > 0 || result.requests.total === 0) {
    throw new Error(
      `${options.url}: ${result.non2xx} answers other than 2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors`,
    );
  }
  return (used * 1e6) / result.requests.total;
}
