import type { KeyRecord } from './api-key';
import { KeyNotFoundError } from './errors';
import { KEY_ID_PATTERN } from './identifiers';
import type { KeyStore } from './key-store';
import { parseOrThrow, tenantIdSchema } from './validation';

/**
 * The tenant's key with this id. Unknown ids, other tenants' keys and malformed
 * ids are all KeyNotFoundError, so a caller cannot learn which keys exist.
 */
export async function findTenantKey(store: Pick<KeyStore, 'findById'>, tenantId: string, keyId: string): Promise<KeyRecord> {
  const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
  if (!KEY_ID_PATTERN.test(keyId)) throw new KeyNotFoundError();
  const record = await store.findById(tenant, keyId);
  if (!record) throw new KeyNotFoundError();
  return record;
}
