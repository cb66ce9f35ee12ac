import { monotonicFactory } from 'ulid';
import { type ApiKey, type IssuedApiKey, isExpired, type KeyRecord, toApiKey, ttlFor } from './api-key';
import type { AuthorizerCacheInvalidation } from './authorizer-cache-invalidation';
import { KeyNotFoundError, ScopeEscalationError, StoreConflictError, ValidationError } from './errors';
import { assertValidKeyPrefix, DEFAULT_KEY_PREFIX, generateKey, hashKey, hintFor } from './key-format';
import { findTenantKey } from './key-lookup';
import type { KeyChanges, KeyStateGuard, KeyStore } from './key-store';
import {
  createKeyBodySchema,
  parseOrThrow,
  rotateKeyBodySchema,
  tenantIdSchema,
  type UpdateKeyInput,
  updateKeyBodySchema,
} from './validation';

/** A fresh 32-character random part colliding is astronomically unlikely; retry a little, then fail. */
const MAX_CREATE_ATTEMPTS = 3;

export interface KeyServiceOptions {
  store: KeyStore;
  invalidation: AuthorizerCacheInvalidation;
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

const ulid = monotonicFactory();

/** The field of a change that makes a key usable again or for longer, if any. */
function revivingField(existing: KeyRecord, input: UpdateKeyInput): 'enabled' | 'expiresAt' | undefined {
  if (input.enabled === true && !existing.enabled) return 'enabled';
  if (existing.expiresAt === undefined || input.expiresAt === undefined) return undefined;
  return input.expiresAt === null || input.expiresAt > existing.expiresAt ? 'expiresAt' : undefined;
}

/** Whether going from `before` to `after` takes access away: disabling, or dropping a scope. */
function revokesOrNarrows(before: KeyRecord, after: KeyRecord): boolean {
  return (before.enabled && !after.enabled) || before.scopes.some((scope) => !after.scopes.includes(scope));
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

/**
 * The key lifecycle: every change to a key, and what it means for cached
 * authorizer answers. Every input is validated here, so each HTTP edge stays thin,
 * and every rule of the form "this change must take effect at once" lives here.
 */
export class KeyService {
  private readonly store: KeyStore;
  private readonly invalidation: AuthorizerCacheInvalidation;
  private readonly keyPrefix: string;
  private readonly now: () => Date;

  constructor(options: KeyServiceOptions) {
    this.store = options.store;
    this.invalidation = options.invalidation;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.now = options.now ?? (() => new Date());
    assertValidKeyPrefix(this.keyPrefix);
  }

  async create(tenantId: string, body: unknown, caller?: KeyCaller): Promise<IssuedApiKey> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(createKeyBodySchema, body);
    assertGrantable(input.scopes ?? [], caller);
    this.assertInFuture(input.expiresAt);
    const { key } = await this.issue({
      tenantId: tenant,
      name: input.name,
      scopes: input.scopes ?? [],
      enabled: true,
      expiresAt: input.expiresAt ?? undefined,
    });
    if (key.expiresAt) await this.invalidation.flushAt(key.id, key.expiresAt);
    return key;
  }

  async update(tenantId: string, keyId: string, body: unknown, caller?: KeyCaller): Promise<ApiKey> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(updateKeyBodySchema, body);
    assertGrantable(input.scopes ?? [], caller);
    this.assertInFuture(input.expiresAt);
    const existing = await findTenantKey(this.store, tenant, keyId);
    let guard: KeyStateGuard | undefined;
    if (caller && (input.enabled === true || input.expiresAt !== undefined)) {
      // Reviving a key, or letting it live longer, hands its powers back: only a caller that holds them may.
      const field = revivingField(existing, input);
      if (field) assertGrantable(existing.scopes, caller, () => field);
      // The decision holds only for the state just read: an admin's change in between wins.
      guard = { enabled: existing.enabled, scopes: existing.scopes, expiresAt: existing.expiresAt ?? null };
    }
    const change = await this.store.update(existing, input, guard);
    if (!change) throw new KeyNotFoundError();
    // Judged against the state the write replaced, not the one read before it.
    if (revokesOrNarrows(change.before, change.after)) await this.invalidation.flushNow();
    if (input.expiresAt) await this.invalidation.flushAt(change.after.keyId, input.expiresAt);
    return toApiKey(change.after);
  }

  async delete(tenantId: string, keyId: string): Promise<void> {
    const existing = await findTenantKey(this.store, tenantId, keyId);
    const deleted = await this.store.delete(existing);
    if (!deleted) throw new KeyNotFoundError();
    await this.invalidation.flushNow();
  }

  /**
   * Issues a replacement with the same name, scopes and state, then makes the old
   * key expire once the grace period has passed (at once for 0). The new key is
   * written first, so a failure part-way never leaves the tenant without a working key.
   * An already-expired key's replacement does not inherit the past expiry.
   */
  async rotate(tenantId: string, keyId: string, body: unknown, caller?: KeyCaller): Promise<IssuedApiKey> {
    const { gracePeriodSeconds } = parseOrThrow(rotateKeyBodySchema, body ?? {});
    const old = await findTenantKey(this.store, tenantId, keyId);
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
    const oldExpiresAt = old.expiresAt && old.expiresAt < graceEnds ? old.expiresAt : graceEnds;
    const changes: KeyChanges = { expiresAt: oldExpiresAt };
    const change = await this.store.update(old, changes);
    if (!change) {
      // The old key was deleted meanwhile: withdraw its replacement, whose secret nobody has seen.
      await this.store.delete(issued.record);
      throw new KeyNotFoundError();
    }
    // With no grace period the old key stops now. Either way a flush is due when it stops: for
    // no grace period, that one catches an authorization that read the key just before this write.
    if (Date.parse(oldExpiresAt) <= now.getTime()) await this.invalidation.flushNow();
    await this.invalidation.flushAt(old.keyId, oldExpiresAt);
    if (issued.key.expiresAt) await this.invalidation.flushAt(issued.key.id, issued.key.expiresAt);
    return { ...issued.key, rotatedFrom: old.keyId };
  }

  private assertInFuture(expiresAt: string | null | undefined): void {
    if (expiresAt && Date.parse(expiresAt) <= this.now().getTime()) {
      throw new ValidationError([{ path: 'expiresAt', message: 'must be in the future' }]);
    }
  }

  private async issue(
    fields: Omit<KeyRecord, 'keyHash' | 'keyId' | 'hint' | 'createdAt' | 'ttl'>,
  ): Promise<{ key: IssuedApiKey; record: KeyRecord }> {
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
        return { key: { ...toApiKey(record), key }, record };
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
      }
    }
  }
}
