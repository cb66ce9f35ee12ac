/** The stored item. `keyHash` identifies it; the plaintext key is never part of it. */
export interface KeyRecord {
  keyHash: string;
  keyId: string;
  tenantId: string;
  name: string;
  hint: string;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  expiresAt?: string;
  /** Epoch seconds for DynamoDB TTL; present exactly when `expiresAt` is. */
  ttl?: number;
  lastUsedAt?: string;
}

/** The public resource: what every response shows of a key. */
export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  hint: string;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** The one response that carries the plaintext: create and rotate. */
export interface IssuedApiKey extends ApiKey {
  key: string;
  rotatedFrom?: string;
}

export function toApiKey(record: KeyRecord): ApiKey {
  return {
    id: record.keyId,
    tenantId: record.tenantId,
    name: record.name,
    hint: record.hint,
    scopes: [...record.scopes],
    enabled: record.enabled,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
  };
}

export function isExpired(record: Pick<KeyRecord, 'expiresAt'>, now: Date): boolean {
  return record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime();
}

export function ttlFor(expiresAt: string): number {
  return Math.ceil(Date.parse(expiresAt) / 1000);
}
