import { Logger } from '@aws-lambda-powertools/logger';

/** Never given events, headers or keys: only names, ids and error kinds are logged. */
export const logger = new Logger({ serviceName: 'api-key-service' });

/** Shared with the hot path's own log, which must not load Powertools. */
export { errorDetails, errorKind } from './hot-path-log';
