import { monotonicFactory } from 'ulid';
import { type ApiKey, earliest, type IssuedApiKey, isExpired, isLater, type KeyRecord, toApiKey, ttlFor } from './api-key';
import type { AuthorizerCacheInvalidation } from './authorizer-cache-invalidation';
import { ConflictError, EscalationError, type FieldError, KeyNotFoundError, StoreConflictError, ValidationError } from './errors';
import { assertValidKeyPrefix, DEFAULT_KEY_PREFIX, generateKey, hashKey, hintFor } from './key-format';
import { findTenantKey } from './key-lookup';
import type { KeyStateGuard, KeyStore } from './key-store';
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
/** How long a rotation's replacement may stay pending before DynamoDB's TTL removes it, if the rotation died. */
const PENDING_REPLACEMENT_TTL_SECONDS = 24 * 60 * 60;

export interface KeyServiceOptions {
  store: KeyStore;
  invalidation: AuthorizerCacheInvalidation;
  /** @default 'ak' */
  keyPrefix?: string;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * Who is asking, on self-service routes: a key acting for its own tenant. It may
 * hand out only what it holds: no scope it lacks, and no life beyond its own
 * expiry. Admin (IAM) callers pass no caller and may grant anything.
 */
export interface KeyCaller {
  scopes: string[];
  /** The calling key's own expiry, if it has one. */
  expiresAt?: string;
}

const ulid = monotonicFactory();

/** The field of a change that makes a key usable again or for longer, if any. */
function revivingField(existing: KeyRecord, input: UpdateKeyInput): 'enabled' | 'expiresAt' | undefined {
  if (input.enabled === true && !existing.enabled) return 'enabled';
  if (existing.expiresAt === undefined || input.expiresAt === undefined) return undefined;
  return input.expiresAt === null || isLater(input.expiresAt, existing.expiresAt) ? 'expiresAt' : undefined;
}

/**
 * Whether going from `before` to `after` takes access away: disabling, dropping a
 * scope, or bringing the expiry forward (which also bounds what the key may grant).
 */
function revokesOrNarrows(before: KeyRecord, after: KeyRecord): boolean {
  return (
    (before.enabled && !after.enabled) ||
    before.scopes.some((scope) => !after.scopes.includes(scope)) ||
    isLater(before.expiresAt, after.expiresAt)
  );
}

function scopeEscalations(scopes: string[], caller: KeyCaller, pathOf: (index: number) => string): FieldError[] {
  return scopes
    .map((scope, index) => ({ scope, index }))
    .filter(({ scope }) => !caller.scopes.includes(scope))
    .map(({ scope, index }) => ({ path: pathOf(index), message: `your key does not hold scope "${scope}"` }));
}

function assertGrantable(scopes: string[], caller: KeyCaller | undefined, pathOf = (index: number) => `scopes.${index}`): void {
  if (!caller) return;
  const errors = scopeEscalations(scopes, caller, pathOf);
  if (errors.length > 0) throw new EscalationError(errors);
}

/** A key that would live on after the calling key, which expires, is beyond what the caller holds. */
function assertWithinCallerLife(expiresAt: string | undefined, caller: KeyCaller | undefined, path: string): void {
  if (caller?.expiresAt === undefined || !isLater(expiresAt, caller.expiresAt)) return;
  throw new EscalationError([{ path, message: `your key expires at ${caller.expiresAt}; what it grants cannot outlive it` }]);
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

  /** A caller that expires makes keys that expire with it at the latest; asking for later, or for none, is refused. */
  async create(tenantId: string, body: unknown, caller?: KeyCaller): Promise<IssuedApiKey> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(createKeyBodySchema, body);
    assertGrantable(input.scopes ?? [], caller);
    this.assertInFuture(input.expiresAt);
    const expiresAt = input.expiresAt === undefined ? caller?.expiresAt : (input.expiresAt ?? undefined);
    assertWithinCallerLife(expiresAt, caller, 'expiresAt');
    const { key } = await this.issue({
      tenantId: tenant,
      name: input.name,
      scopes: input.scopes ?? [],
      enabled: true,
      expiresAt,
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
      // Whatever the key is left with must end when the caller does.
      if (input.expiresAt !== undefined || (input.enabled === true && !existing.enabled)) {
        const resulting = input.expiresAt === undefined ? existing.expiresAt : (input.expiresAt ?? undefined);
        assertWithinCallerLife(resulting, caller, input.expiresAt === undefined ? 'enabled' : 'expiresAt');
      }
      // The decision holds only for the state just read: an admin's change in between wins.
      guard = { enabled: existing.enabled, scopes: existing.scopes, expiresAt: existing.expiresAt ?? null };
    }
    const change = await this.store.update(existing, input, guard);
    if (!change) throw new KeyNotFoundError();
    // Judged against the state the write replaced, not the one read before it.
    if (revokesOrNarrows(change.before, change.after)) await this.invalidation.flushNow();
    if (input.expiresAt) await this.invalidation.flushAt(change.after.keyId, input.expiresAt);
    return toApiKey(change.after, this.now());
  }

  async delete(tenantId: string, keyId: string): Promise<void> {
    const existing = await findTenantKey(this.store, tenantId, keyId);
    const deleted = await this.store.delete(existing);
    if (!deleted) throw new KeyNotFoundError();
    await this.invalidation.flushNow();
  }

  /**
   * Issues a replacement with the same name, scopes and state, and retires the old
   * key once the grace period has passed (at once for 0). A key can be rotated once:
   * an expired key, or one rotated already, is a conflict.
   *
   * The replacement is written pending, then the old key is marked rotated (its
   * retirement), then the replacement is made live, last. So a rotation that fails
   * part-way never leaves a live replacement nobody holds: the old key is restored
   * where it can be, and otherwise a retry supersedes the unfinished rotation.
   */
  async rotate(tenantId: string, keyId: string, body: unknown, caller?: KeyCaller): Promise<IssuedApiKey> {
    const { gracePeriodSeconds } = parseOrThrow(rotateKeyBodySchema, body ?? {});
    const old = await findTenantKey(this.store, tenantId, keyId);
    // The caller receives the new secret, so it must already hold everything that secret grants.
    assertGrantable(old.scopes, caller);
    const now = this.now();
    const unfinished = old.rotation ? await this.unfinishedRotation(old) : undefined;
    if (old.rotation && !unfinished) throw new ConflictError('The key has been rotated already; rotate its replacement instead.');
    // An unfinished rotation set the old key's expiry itself: the key's own expiry is the one before it.
    const ownExpiry = unfinished ? (unfinished.previousExpiresAt ?? undefined) : old.expiresAt;
    if (!unfinished && isExpired(old, now)) throw new ConflictError('The key has expired; create a new key instead.');
    // The replacement never outlives the old key, nor the caller.
    const replacementExpiry = earliest(ownExpiry, caller?.expiresAt);
    const graceEnds = new Date(now.getTime() + gracePeriodSeconds * 1000).toISOString();
    const retiredAt = earliest(ownExpiry, graceEnds) as string;

    const replacement = await this.issue(
      { tenantId: old.tenantId, name: old.name, scopes: old.scopes, enabled: old.enabled, expiresAt: replacementExpiry },
      { pending: true, ttl: Math.ceil(now.getTime() / 1000) + PENDING_REPLACEMENT_TTL_SECONDS },
    );
    const rotation = { to: replacement.record.keyId, previousExpiresAt: ownExpiry ?? null };
    try {
      const retired = await this.store.retire(
        old,
        { rotation, expiresAt: retiredAt },
        unfinished ? { supersedes: unfinished.to } : { unexpiredAt: now.toISOString() },
      );
      if (retired === 'gone') throw new KeyNotFoundError();
      if (retired === 'changed') throw new ConflictError('The key was rotated or changed meanwhile; read it again and retry.');
      await this.store.activate(replacement.record);
    } catch (error) {
      // Undo what can be undone: the old key's retirement, then the replacement, which nobody has seen.
      await this.store.restore(old, rotation).catch(() => undefined);
      await this.store.delete(replacement.record).catch(() => undefined);
      throw error;
    }

    // With no grace period the old key stops now. Either way a flush is due when it stops: for
    // no grace period, that one catches an authorization that read the key just before this write.
    if (Date.parse(retiredAt) <= now.getTime()) await this.invalidation.flushNow();
    await this.invalidation.flushAt(old.keyId, retiredAt);
    if (replacementExpiry) await this.invalidation.flushAt(replacement.record.keyId, replacementExpiry);
    return { ...replacement.key, rotatedFrom: old.keyId };
  }

  /** The old key's rotation, if it never finished: its replacement is gone or still pending. */
  private async unfinishedRotation(old: KeyRecord): Promise<KeyRecord['rotation']> {
    const rotation = old.rotation;
    if (!rotation) return undefined;
    const replacement = await this.store.findById(old.tenantId, rotation.to, { includePending: true });
    return replacement === undefined || replacement.pending ? rotation : undefined;
  }

  private assertInFuture(expiresAt: string | null | undefined): void {
    if (expiresAt && Date.parse(expiresAt) <= this.now().getTime()) {
      throw new ValidationError([{ path: 'expiresAt', message: 'must be in the future' }]);
    }
  }

  private async issue(
    fields: Omit<KeyRecord, 'keyHash' | 'keyId' | 'hint' | 'createdAt' | 'ttl' | 'pending' | 'rotation'>,
    pending?: { pending: true; ttl: number },
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
      if (pending) Object.assign(record, pending);
      try {
        await this.store.create(record);
        return { key: { ...toApiKey(record, createdAt), key }, record };
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
      }
    }
  }
}
