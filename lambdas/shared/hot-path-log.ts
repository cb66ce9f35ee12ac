/**
 * The log of the two functions on every protected request, the authorizer and
 * POST /verify: warnings and errors only (a refusal writes nothing), as JSON
 * lines of the shape the Powertools Logger writes for the other functions
 * (`level`, `message`, `timestamp`, `service`, `xray_trace_id`, then the fields),
 * so one log query reads both. Not Powertools itself: importing it costs 32 M
 * instructions and creating its logger 21 M more, two thirds of a bare
 * `node -e 0`, at every cold start (docs/performance.md).
 */

/** What the functions' shared code logs through: this log, or the Powertools Logger. */
export interface Log {
  warn(message: string, ...fields: Record<string, unknown>[]): void;
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

const SERVICE = 'api-key-service';
/** Levels as Powertools and Lambda name them; a threshold above WARN silences warnings. */
const SILENCING_WARNINGS = new Set(['ERROR', 'CRITICAL', 'FATAL', 'SILENT']);
const level = (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').toUpperCase();
const warningsWritten = !SILENCING_WARNINGS.has(level);

function write(severity: 'WARN' | 'ERROR', message: string, fields: Record<string, unknown>[]): void {
  // The Root of Lambda's trace header, as Powertools writes it: it changes with every invocation.
  const trace = process.env._X_AMZN_TRACE_ID?.match(/Root=([^;]+)/)?.[1];
  const line = {
    level: severity,
    message,
    timestamp: new Date().toISOString(),
    service: SERVICE,
    ...(trace ? { xray_trace_id: trace } : {}),
  };
  for (const field of fields) Object.assign(line, field);
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export const hotPathLog: Log = {
  warn(message, ...fields) {
    if (warningsWritten) write('WARN', message, fields);
  },
  error(message, ...fields) {
    if (level !== 'SILENT') write('ERROR', message, fields);
  },
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
