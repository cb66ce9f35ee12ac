import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const READY_LINE = /Listening on (http:\/\/\S+)/;
/** How long a stop may take (the server's own grace period is 10 s) before the whole group is killed. */
const STOP_TIMEOUT_MS = 15_000;
/**
 * The plans of a test's server unless it names its own: the declared names, limits no
 * test reaches, so that only the tests about plans meet 429. `PLANS_FILE: ''` runs the
 * declared plans, as a user's `npm start` does.
 */
const ROOMY_PLANS_FILE = resolve(__dirname, '../fixtures/roomy-plans.json');
/** Settings of local mode that a developer's shell must not slip into a test's server. */
const LOCAL_MODE_VARIABLES = [
  'PORT',
  'DATA_DIR',
  'DYNAMODB_ENDPOINT',
  'TABLE_NAME',
  'KEY_PREFIX',
  'AWS_REGION',
  'ADMIN_ACCESS_KEY_ID',
  'ADMIN_SECRET_ACCESS_KEY',
  'AUTHORIZER_CACHE_TTL_SECONDS',
  'PLANS_FILE',
  'RECONCILE_INTERVAL_SECONDS',
];

/** `npm start` as a user runs it, in a child process this test owns. */
export interface LocalServerProcess {
  baseUrl: string;
  /** The process group of npm and everything it started, the server among them. */
  processGroup: number;
  /** The pid of the node process running local/server.ts. */
  serverPid(): number;
  /** Everything npm and the server have printed so far, stdout and stderr. */
  output(): string;
  /**
   * Sends the signal to the npm process only, as `kill <pid>` or a process
   * manager would, waits for npm to exit and returns its exit code. Kills the
   * whole process group if it hangs, and fails if anything of it (the server,
   * say) is still running shortly after npm has exited.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The group's processes that are still running. A zombie does not count: it
 * has exited, and only waits for a parent to reap it (an orphan's new parent,
 * PID 1, may never do so in a container). Without /proc, any member counts.
 */
function runningGroupMembers(pgid: number): string[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    try {
      process.kill(-pgid, 0);
      return [`process group ${pgid}`];
    } catch {
      return [];
    }
  }
  const running: string[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (command) state ppid pgrp ...": the command may hold spaces and parentheses.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z')
      running.push(`${pid} ${stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1)}`);
  }
  return running;
}

/** The server among the group's processes: from /proc where there is one, else from ps (POSIX fields pid, pgid, args). */
function serverPidIn(pgid: number): number {
  const members = existsSync('/proc/self/stat')
    ? runningGroupMembers(pgid).map((member) => {
        const pid = member.split(' ')[0];
        return { pid: Number(pid), command: readFileSync(`/proc/${pid}/cmdline`, 'utf8') };
      })
    : execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'pgid=', '-o', 'args='], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([, group]) => Number(group) === pgid)
        .map(([pid, , ...args]) => ({ pid: Number(pid), command: args.join(' ') }));
  const server = members.find(({ command }) => command.includes('local/server.ts'));
  if (!server) throw new Error(`No local/server.ts process in process group ${pgid}`);
  return server.pid;
}

/** Waits a little for the group to empty: a helper such as tsx's esbuild service exits just after the server. */
async function groupLeftovers(pgid: number, withinMs = 2_000): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  let running = runningGroupMembers(pgid);
  while (running.length > 0 && Date.now() < deadline) {
    await delay(25);
    running = runningGroupMembers(pgid);
  }
  return running;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

/**
 * afterAll stops the server, but a Jest worker that crashes or is killed never
 * runs it. So a tiny detached watchdog holds a pipe from this process and kills
 * the server's whole process group when that pipe closes, whichever way this process ends.
 */
function killGroupWhenThisProcessDies(pgid: number): ChildProcess {
  const script =
    "process.stdin.on('end', () => { try { process.kill(-Number(process.argv[1]), 'SIGKILL'); } catch {} process.exit(0); });" +
    'process.stdin.resume();';
  const watchdog = spawn(process.execPath, ['-e', script, String(pgid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watchdog.unref();
  return watchdog;
}

function spawnNpmStart(env: Record<string, string>): ChildProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !LOCAL_MODE_VARIABLES.includes(name)));
  return spawn('npm', ['start'], {
    cwd: REPOSITORY_ROOT,
    // No update check: it would reach for the network on every start.
    env: {
      ...inherited,
      npm_config_update_notifier: 'false',
      PORT: '0',
      AWS_REGION: 'us-east-1',
      PLANS_FILE: ROOMY_PLANS_FILE,
      ...env,
    },
    detached: true, // npm leads a process group of its own, so that npm, its shell and the server can be killed together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** How a start that was meant to fail ended: its exit code and what it printed where. */
export interface FailedStart {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm start` with these settings (as startLocalServer does) that should
 * make it refuse to start, and waits for it to exit. A server that becomes
 * ready instead is stopped, and the start fails.
 */
export async function startLocalServerExpectingRefusal(env: Record<string, string>, timeoutMs = 30_000): Promise<FailedStart> {
  const child = spawnNpmStart(env);
  if (child.pid === undefined) throw new Error('npm could not be spawned');
  const pgid = child.pid;
  const watchdog = killGroupWhenThisProcessDies(pgid);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (READY_LINE.test(stdout)) killGroup(pgid); // no need to wait: it has failed to refuse
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => killGroup(pgid), timeoutMs);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    if (READY_LINE.test(stdout)) throw new Error(`npm start became ready, but should have refused to start:\n${stdout}`);
    const leftBehind = await groupLeftovers(pgid);
    if (leftBehind.length > 0) throw new Error(`npm start exited but left processes running: ${leftBehind.join(', ')}`);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    killGroup(pgid);
    watchdog.kill('SIGKILL');
  }
}

/**
 * Starts `npm start` in the repository root with these settings, on a free port
 * (PORT=0), region us-east-1 unless `env` says otherwise.
 */
export async function startLocalServer(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<LocalServerProcess> {
  const child = spawnNpmStart(env);
  if (child.pid === undefined) throw new Error('npm could not be spawned');
  const pgid = child.pid;
  const watchdog = killGroupWhenThisProcessDies(pgid);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const cleanUp = () => {
    killGroup(pgid); // nothing of it may outlive the test
    watchdog.kill('SIGKILL');
  };

  const baseUrl = await new Promise<string>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => {
      cleanUp();
      rejectReady(new Error(`The server did not start in ${readyTimeoutMs} ms:\n${output}`));
    }, readyTimeoutMs);
    child.stdout!.on('data', () => {
      const ready = READY_LINE.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolveReady(ready[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      cleanUp();
      rejectReady(new Error(`npm start exited with ${code} before the server was ready:\n${output}`));
    });
  });

  return {
    baseUrl,
    processGroup: pgid,
    serverPid: () => serverPidIn(pgid),
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(pgid);
      }, STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      if (timedOut) {
        cleanUp();
        throw new Error(`npm start did not stop within ${STOP_TIMEOUT_MS} ms of ${signal}, and was killed:\n${output}`);
      }
      const leftBehind = await groupLeftovers(pgid);
      cleanUp();
      if (leftBehind.length > 0) {
        throw new Error(
          `npm start exited (${code ?? child.signalCode}) but left processes of its group running: ${leftBehind.join(', ')}\n${output}`,
        );
      }
      return code;
    },
  };
}
