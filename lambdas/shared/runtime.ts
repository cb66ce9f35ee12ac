import { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_KEY_PREFIX } from '../../src/domain/key-format';
import { KeyService } from '../../src/domain/key-service';
import { ENV, requiredEnv } from '../../src/config';
import { DynamoKeyStore, createDocumentClient } from '../../src/store/dynamo-key-store';

/** Never given events, headers or keys: only names, ids and error kinds are logged. */
export const logger = new Logger({ serviceName: 'api-key-service' });

/** What a log line may say of a failure: its kind, never its message, which could quote input. */
export function errorKind(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

let service: KeyService | undefined;

/** One service per Lambda container, built on first use so the environment can be set first. */
export function keyService(): KeyService {
  service ??= new KeyService({
    store: new DynamoKeyStore(createDocumentClient(), requiredEnv(ENV.tableName)),
    keyPrefix: process.env[ENV.keyPrefix] || DEFAULT_KEY_PREFIX,
  });
  return service;
}
