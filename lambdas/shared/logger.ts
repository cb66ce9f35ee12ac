/**
 * The functions' log: JSON lines of the shape the Powertools Logger writes
 * (`level`, `message`, `timestamp`, `service`, `xray_trace_id`, then the
 * fields), at the levels it has, from the same settings. Not Powertools itself:
 * importing it and creating its logger cost 53 M instructions at every cold
 * start on Node 24 (32 M on the authorizer's bundle, two thirds of a bare
 * `node -e 0`), for four methods (docs/performance.md).
 *
 * Never given events, headers or keys: only names, ids and error kinds are logged.
 */

interface Log {
  debug(message: string, ...fields: Record<string, unknown>[]): void;
  info(message: string, ...fields: Record<string, unknown>[]): void;
  warn(message: string, ...fields: Record<string, unknown>[]): void;
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const SERVICE = 'api-key-service';
/** Levels as Powertools and Lambda name them, in order; a threshold of SILENT writes nothing. */
const THRESHOLDS: Record<string, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, CRITICAL: 5, FATAL: 5, SILENT: 6 };
const RANKS: Record<Level, number> = { DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
/** As Powertools reads it: Lambda's log level (its advanced logging controls) first, then its own setting. */
const setting = (
  process.env.AWS_LAMBDA_LOG_LEVEL ??
  process.env.POWERTOOLS_LOG_LEVEL ??
  process.env.LOG_LEVEL ??
  'INFO'
).toUpperCase();
const threshold = THRESHOLDS[setting] ?? THRESHOLDS.INFO;

function write(level: Level, message: string, fields: Record<string, unknown>[]): void {
  if (RANKS[level] < threshold) return;
  // The Root of Lambda's trace header, as Powertools writes it: it changes with every invocation.
  const trace = process.env._X_AMZN_TRACE_ID?.match(/Root=([^;]+)/)?.[1];
  const line = {
    level,
    message,
    timestamp: new Date().toISOString(),
    service: SERVICE,
    ...(trace ? { xray_trace_id: trace } : {}),
  };
  for (const field of fields) Object.assign(line, field);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export const logger: Log = {
  debug: (message, ...fields) => write('DEBUG', message, fields),
  info: (message, ...fields) => write('INFO', message, fields),
  warn: (message, ...fields) => write('WARN', message, fields),
  error: (message, ...fields) => write('ERROR', message, fields),
};

/** What a log line may say of a failure: its kind, never its message, which could quote input. */
export function errorKind(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * A failure's kind and where it happened. The stack's first line repeats the
 * message, so only the frames below it are kept.
 */
export function errorDetails(error: unknown): { error: string; stack?: string } {
  const frames = error instanceof Error ? error.stack?.split('\n').slice(1).join('\n') : undefined;
  return frames ? { error: errorKind(error), stack: frames } : { error: errorKind(error) };
}
