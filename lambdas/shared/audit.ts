import { ENV, requiredEnv } from '../../src/config';
import type { AuditEvents } from '../../src/domain/audit';
import { AuditDelivery } from '../../src/domain/audit-delivery';
import { keyStoreFromEnvironment, tenantStoreFromEnvironment } from './key-store';

/**
 * Audit delivery as deployed, for the delivery function, the sweeper and the
 * functions that change keys: the records waiting in both tables, the tenant
 * table's log, the retention the construct set, and where records are published
 * (EventBridge, event-bridge-events.ts).
 */
export function auditDeliveryFromEnvironment(events: AuditEvents, env: NodeJS.ProcessEnv = process.env): AuditDelivery {
  const tenants = tenantStoreFromEnvironment();
  return new AuditDelivery({
    log: tenants,
    events,
    keys: keyStoreFromEnvironment(),
    tenants,
    requests: tenants,
    retentionSeconds: Number(requiredEnv(ENV.auditRetentionSeconds, env)),
  });
}
