import { monotonicFactory } from 'ulid';
import { isExpired, isUsable, toApiKey, ttlFor, type ApiKey, type IssuedApiKey, type KeyRecord } from './api-key';
import { decodeCursor, encodeCursor } from './cursor';
import { KeyNotFoundError, ScopeEscalationError, StoreConflictError, ValidationError } from './errors';
import { DEFAULT_KEY_PREFIX, assertValidKeyPrefix, generateKey, hashKey, hintFor, parseKey } from './key-format';
import type { KeyChanges, KeyStateGuard, KeyStore } from './key-store';
import {
  KEY_ID_PATTERN,
  createKeyBodySchema,
  listKeysQuerySchema,
  parseOrThrow,
  rotateKeyBodySchema,
  tenantIdSchema,
  updateKeyBodySchema,
  type UpdateKeyInput,
} from './validation';

/** lastUsedAt is written at most this often per key, to keep the authorizer's writes cheap. */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** A fresh 32-character random part colliding is astronomically unlikely; retry a little, then fail. */
const MAX_CREATE_ATTEMPTS = 3;

export interface KeyServiceOptions {
  store: KeyStore;
  /** @default 'ak' */
  keyPrefix?: string;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * Who is asking, on self-service routes: a key acting for its own tenant.
 * It may not mint, widen or re-issue a key with scopes it does not hold.
 * Admin (IAM) callers pass no caller and may grant any scope.
 */
export interface KeyCaller {
  scopes: string[];
}

export interface Rotation {
  /** The replacement, with its secret: the response body. */
  issued: IssuedApiKey;
  /** When the old key stops working: the end of the grace period, or its own earlier expiry. */
  previousKeyExpiresAt: string;
}

export interface KeyList {
  items: ApiKey[];
  nextCursor: string | null;
}

const ulid = monotonicFactory();

/** The field of a change that makes a key usable again or for longer, if any. */
function revivingField(existing: KeyRecord, input: UpdateKeyInput): 'enabled' | 'expiresAt' | undefined {
  if (input.enabled === true && !existing.enabled) return 'enabled';
  if (existing.expiresAt === undefined || input.expiresAt === undefined) return undefined;
  return input.expiresAt === null || input.expiresAt > existing.expiresAt ? 'expiresAt' : undefined;
}

function assertGrantable(
  scopes: string[],
  caller: KeyCaller | undefined,
  pathOf: (index: number) => string = (index) => `scopes.${index}`,
): void {
  if (!caller) return;
  const errors = scopes
    .map((scope, index) => ({ scope, index }))
    .filter(({ scope }) => !caller.scopes.includes(scope))
    .map(({ scope, index }) => ({ path: pathOf(index), message: `your key does not hold scope "${scope}"` }));
  if (errors.length > 0) throw new ScopeEscalationError(errors);
}

/** The key lifecycle. Every input is validated here, so each HTTP edge stays thin. */
export class KeyService {
  private readonly store: KeyStore;
  private readonly keyPrefix: string;
  private readonly now: () => Date;

  constructor(options: KeyServiceOptions) {
    this.store = options.store;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.now = options.now ?? (() => new Date());
    assertValidKeyPrefix(this.keyPrefix);
  }

  async create(tenantId: string, body: unknown, caller?: KeyCaller): Promise<IssuedApiKey> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(createKeyBodySchema, body);
    assertGrantable(input.scopes ?? [], caller);
    this.assertInFuture(input.expiresAt);
    return this.issue({
      tenantId: tenant,
      name: input.name,
      scopes: input.scopes ?? [],
      enabled: true,
      expiresAt: input.expiresAt ?? undefined,
    });
  }

  async list(tenantId: string, query: unknown): Promise<KeyList> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const { limit, cursor } = parseOrThrow(listKeysQuerySchema, query, '', 'query');
    const after = cursor === undefined ? undefined : decodeCursor(tenant, cursor);
    const page = await this.store.list(tenant, limit, after);
    return {
      items: page.items.map(toApiKey),
      nextCursor: page.next ? encodeCursor(tenant, page.next) : null,
    };
  }

  async get(tenantId: string, keyId: string): Promise<ApiKey> {
    return toApiKey(await this.find(tenantId, keyId));
  }

  async update(tenantId: string, keyId: string, body: unknown, caller?: KeyCaller): Promise<ApiKey> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(updateKeyBodySchema, body);
    assertGrantable(input.scopes ?? [], caller);
    this.assertInFuture(input.expiresAt);
    if (!KEY_ID_PATTERN.test(keyId)) throw new KeyNotFoundError();
    let guard: KeyStateGuard | undefined;
    if (caller && (input.enabled === true || input.expiresAt !== undefined)) {
      const existing = await this.find(tenant, keyId);
      // Reviving a key, or letting it live longer, hands its powers back: only a caller that holds them may.
      const field = revivingField(existing, input);
      if (field) assertGrantable(existing.scopes, caller, () => field);
      // The decision holds only for the state just read: an admin's change in between wins.
      guard = { enabled: existing.enabled, scopes: existing.scopes, expiresAt: existing.expiresAt ?? null };
    }
    const updated = await this.store.update(tenant, keyId, input, guard);
    if (!updated) throw new KeyNotFoundError();
    return toApiKey(updated);
  }

  async delete(tenantId: string, keyId: string): Promise<void> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    if (!KEY_ID_PATTERN.test(keyId)) throw new KeyNotFoundError();
    const deleted = await this.store.delete(tenant, keyId);
    if (!deleted) throw new KeyNotFoundError();
  }

  /**
   * Issues a replacement with the same name, scopes and state, then makes the old
   * key expire once the grace period has passed (at once for 0). The new key is
   * written first, so a failure part-way never leaves the tenant without a working key.
   * An already-expired key's replacement does not inherit the past expiry.
   */
  async rotate(tenantId: string, keyId: string, body: unknown, caller?: KeyCaller): Promise<Rotation> {
    const { gracePeriodSeconds } = parseOrThrow(rotateKeyBodySchema, body ?? {});
    const old = await this.find(tenantId, keyId);
    // The caller receives the new secret, so it must already hold everything that secret grants.
    assertGrantable(old.scopes, caller);
    const now = this.now();
    const inheritedExpiry = isExpired(old, now) ? undefined : old.expiresAt;
    const issued = await this.issue({
      tenantId: old.tenantId,
      name: old.name,
      scopes: old.scopes,
      enabled: old.enabled,
      expiresAt: inheritedExpiry,
    });
    const graceEnds = new Date(now.getTime() + gracePeriodSeconds * 1000).toISOString();
    const previousKeyExpiresAt = old.expiresAt && old.expiresAt < graceEnds ? old.expiresAt : graceEnds;
    const changes: KeyChanges = { expiresAt: previousKeyExpiresAt };
    const updated = await this.store.update(old.tenantId, old.keyId, changes);
    if (!updated) {
      // The old key was deleted meanwhile: withdraw its replacement, whose secret nobody has seen.
      await this.store.delete(old.tenantId, issued.id);
      throw new KeyNotFoundError();
    }
    return { issued: { ...issued, rotatedFrom: old.keyId }, previousKeyExpiresAt };
  }

  /**
   * The authorizer's check: the usable record for a plaintext key, or undefined.
   * A malformed key or a bad checksum is refused before any read.
   */
  async authenticate(key: string | undefined): Promise<KeyRecord | undefined> {
    if (key === undefined || !parseKey(key)) return undefined;
    const keyHash = hashKey(key);
    const record = await this.store.findByHash(keyHash);
    if (!record || !isUsable(record, this.now())) return undefined;
    return record;
  }

  /** Records that the key was just used, at most once per LAST_USED_RESOLUTION_MS. */
  async recordUse(record: KeyRecord, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const notBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
    // Same boundary as the store's condition (`lastUsedAt < notBefore`), so no write is sent only to be refused.
    if (record.lastUsedAt !== undefined && record.lastUsedAt >= notBefore) return;
    await this.store.recordUse(record.keyHash, now.toISOString(), notBefore, signal);
  }

  private assertInFuture(expiresAt: string | null | undefined): void {
    if (expiresAt && Date.parse(expiresAt) <= this.now().getTime()) {
      throw new ValidationError([{ path: 'expiresAt', message: 'must be in the future' }]);
    }
  }

  private async find(tenantId: string, keyId: string): Promise<KeyRecord> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    if (!KEY_ID_PATTERN.test(keyId)) throw new KeyNotFoundError();
    const record = await this.store.findById(tenant, keyId);
    if (!record) throw new KeyNotFoundError();
    return record;
  }

  private async issue(fields: Omit<KeyRecord, 'keyHash' | 'keyId' | 'hint' | 'createdAt' | 'ttl'>): Promise<IssuedApiKey> {
    for (let attempt = 1; ; attempt++) {
      const key = generateKey(this.keyPrefix);
      const createdAt = this.now();
      const record: KeyRecord = {
        ...fields,
        keyHash: hashKey(key),
        keyId: `key_${ulid(createdAt.getTime())}`,
        hint: hintFor(key),
        createdAt: createdAt.toISOString(),
      };
      if (fields.expiresAt === undefined) delete record.expiresAt;
      else record.ttl = ttlFor(fields.expiresAt);
      try {
        await this.store.create(record);
        return { ...toApiKey(record), key };
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
      }
    }
  }
}
