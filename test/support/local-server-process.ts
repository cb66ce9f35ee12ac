import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const READY_LINE = /Listening on (http:\/\/\S+)/;
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
];

/** `npm start` as a user runs it, in a child process this test owns. */
export interface LocalServerProcess {
  baseUrl: string;
  /** Everything it has printed so far, stdout and stderr. */
  output(): string;
  /** Sends the signal, waits for the exit and returns its code; kills it outright if it hangs. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** tsx runs the server in a child of its own: this kills the whole process group the test started. */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

/** Starts the server with these settings on a free port, region us-east-1 unless `env` says otherwise. */
export async function startLocalServer(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<LocalServerProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !LOCAL_MODE_VARIABLES.includes(name)));
  const child = spawn(resolve(REPOSITORY_ROOT, 'node_modules/.bin/tsx'), ['local/server.ts'], {
    cwd: REPOSITORY_ROOT,
    env: { ...inherited, PORT: '0', AWS_REGION: 'us-east-1', ...env },
    detached: true, // its own process group, so that a hung server and tsx's child can be killed together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const baseUrl = await new Promise<string>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => {
      killGroup(child);
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
      rejectReady(new Error(`The server exited with ${code} before it was ready:\n${output}`));
    });
  });

  return {
    baseUrl,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => killGroup(child), 15_000);
      const code = await exited;
      clearTimeout(timer);
      killGroup(child); // nothing of it may outlive the test
      return code;
    },
  };
}
