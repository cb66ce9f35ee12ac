import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

/** Whether valgrind is installed: instruction counts are made where it is (`apt-get install valgrind`), in the full run only. */
export function hasValgrind(): boolean {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  return probe.status === 0;
}

/**
 * The instructions a process executes, start to exit, every thread included:
 * valgrind's callgrind, which counts them whatever else the machine is doing.
 */
export async function instructionsOf(node: string, args: string[], env: Record<string, string>, cwd?: string): Promise<number> {
  const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', node, ...args], {
    env,
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  // 'close', not 'exit': valgrind's summary may still be in the pipe when it exits.
  const [code] = await once(child, 'close');
  const collected = /Collected\s*:\s*(\d+)/.exec(stderr);
  if (code !== 0 || !collected)
    throw new Error(`callgrind of node ${args.join(' ')} failed (exit ${code}):\n${stderr.slice(-2_000)}`);
  return Number(collected[1]);
}

/** Runs the jobs two at a time: instruction counts do not depend on what runs beside them, and the machine has 2 cores. */
export async function inPairs<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < jobs.length; index = next++) results[index] = await jobs[index]();
  };
  await Promise.all([worker(), worker()]);
  return results;
}
