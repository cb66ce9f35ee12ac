import { ENV, requiredEnv } from '../../src/config';
import type { AuditEvents } from '../../src/domain/audit';
import { KeyService } from '../../src/domain/key-service';
import { auditDeliveryFromEnvironment } from './audit';
import { authorizerCacheInvalidation } from './authorizer-cache-invalidation';
import { expiryWarningsFromEnvironment } from './expiry-warnings';
import { keyPrefixFromEnvironment, keyStoreFromEnvironment, tenantStoreFromEnvironment } from './key-store';
import { tenantServiceFromEnvironment } from './usage-plans';

/**
 * EventBridge, its client loaded on the first publish: a function that changes keys
 * publishes only when a key has no room for a change's record (its delivery is
 * behind), so it does not load the client when it starts. Its settings are read then.
 */
function eventsOnFirstUse(): AuditEvents {
  const settings = {
    [ENV.eventBusName]: requiredEnv(ENV.eventBusName),
    [ENV.eventSource]: requiredEnv(ENV.eventSource),
  };
  let loading: Promise<AuditEvents> | undefined;
  return {
    async publish(records) {
      loading ??= import('./event-bridge-events').then(({ eventBridgeEvents }) => eventBridgeEvents(settings));
      return (await loading).publish(records);
    },
  };
}

/**
 * The key service of a function that changes keys but issues none (update,
 * delete): a change that finds no room for its record in its key delivers the
 * key's waiting records first. Settings are read when it starts.
 */
export function keyServiceFromEnvironment(): KeyService {
  return new KeyService({
    store: keyStoreFromEnvironment(),
    invalidation: authorizerCacheInvalidation(),
    delivery: auditDeliveryFromEnvironment(eventsOnFirstUse()),
    expiryWarnings: expiryWarningsFromEnvironment(),
  });
}

/**
 * The key service of a function that revokes keys and changes nothing else (by id,
 * by the secret, GitHub's): a revocation always has room for its record
 * (src/domain/key-store.ts), so it delivers nothing, and it sets no expiry.
 */
export function revokingKeyServiceFromEnvironment(): KeyService {
  return new KeyService({ store: keyStoreFromEnvironment(), invalidation: authorizerCacheInvalidation() });
}

/**
 * The key service of a function that issues keys (create and rotate): idempotent
 * requests, the deployment's key prefix, and the tenant's usage plan arranged
 * before its first key. Settings are read when the function starts.
 */
export function issuingKeyServiceFromEnvironment(): KeyService {
  return new KeyService({
    store: keyStoreFromEnvironment(),
    invalidation: authorizerCacheInvalidation(),
    idempotency: tenantStoreFromEnvironment(),
    keyPrefix: keyPrefixFromEnvironment(),
    tenants: tenantServiceFromEnvironment(),
    expiryWarnings: expiryWarningsFromEnvironment(),
  });
}
