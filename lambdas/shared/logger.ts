import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';

/** Never given events, headers or keys: only names, ids and error kinds are logged. */
export const logger = new Logger({ serviceName: 'api-key-service' });

/**
 * Whether debug lines are written, as the level is when the function starts
 * (nothing here changes it later). Powertools reads the environment on every
 * log call, even one below its level, and to read its level: the authorizer's
 * refusals, its hottest path, check this instead.
 */
export const DEBUG_ENABLED = logger.level <= LogLevelThreshold.DEBUG;

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
