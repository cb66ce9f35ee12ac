import { monotonicFactory } from 'ulid';
import { type ApiKey, earliest, type IssuedApiKey, isExpired, isLater, type KeyRecord, toApiKey, ttlFor } from './api-key';
import { type AuditAction, type AuditRecord, type AuditTrail, changedFields, type FieldChange } from './audit';
import type { AuthorizerCacheInvalidation } from './authorizer-cache-invalidation';
import { actorOf, assertGrantable, assertWithinCallerLife, type Caller, expiryOf, isRestricted } from './caller';
import {
  ConflictError,
  IdempotencyMismatchError,
  KeyNotFoundError,
  RequestInProgressError,
  StoreConflictError,
  StoreUnavailableError,
  ValidationError,
} from './errors';
import {
  fingerprintOf,
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_WINDOW_MS,
  type IdempotencyClaim,
  type IdempotencyRecords,
  type IdempotentRequest,
  parseIdempotencyKey,
} from './idempotency';
import { assertValidKeyPrefix, DEFAULT_KEY_PREFIX, generateKey, hashKey, hintFor } from './key-format';
import { findTenantKey } from './key-lookup';
import type { AuditedItem, KeyChange, KeyChanges, KeyStateGuard, KeyStore } from './key-store';
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
/**
 * How long a request waits for its change's audit record to be delivered before
 * answering anyway: the change is committed, and a create's answer holds the only
 * copy of its secret, which a slow trail must not cost. The sweeper finishes it.
 */
const AUDIT_DELIVERY_BUDGET_MS = 3_000;
/** How long a rotation's replacement may stay pending before DynamoDB's TTL removes it, if the rotation died. */
const PENDING_REPLACEMENT_TTL_SECONDS = 24 * 60 * 60;

export interface KeyServiceOptions {
  store: KeyStore;
  invalidation: AuthorizerCacheInvalidation;
  /** Where idempotent requests are remembered; without it, an Idempotency-Key is refused. */
  idempotency?: IdempotencyRecords;
  /**
   * Gets a tenant ready for its keys (its usage plan) before one is issued; without it,
   * keys are issued with no plan arranged.
   */
  tenants?: KeyIssuancePreparation;
  /**
   * The audit trail every change is recorded in. Without it nothing is recorded:
   * only for code that builds a service for one purpose, such as a test.
   */
  audit?: AuditTrail;
  /** Told when a committed change's record could not be delivered at once: the sweeper delivers it later. */
  onAuditDeliveryFailure?: (error: unknown) => void;
  /** @default 'ak' */
  keyPrefix?: string;
  /** @default () => new Date() */
  now?: () => Date;
}

/** What must hold for a tenant before a key of it can work: TenantService.prepareForKeys. */
export interface KeyIssuancePreparation {
  prepareForKeys(tenantId: string): Promise<void>;
}

/** The fields of a key its audit records show, old and new. */
const AUDITED_FIELDS = ['name', 'scopes', 'enabled', 'expiresAt', 'meta'] as const;

/** A key's audited fields, as a record shows them: no metadata and none at all read the same. */
function auditedState(record: Partial<KeyRecord>): Record<string, unknown> {
  const meta = record.meta && Object.keys(record.meta).length > 0 ? record.meta : undefined;
  return { name: record.name, scopes: record.scopes, enabled: record.enabled, expiresAt: record.expiresAt, meta };
}

const ulid = monotonicFactory();

type NewKeyFields = Omit<
  KeyRecord,
  'keyHash' | 'keyId' | 'hint' | 'createdAt' | 'ttl' | 'pending' | 'rotation' | 'audit' | 'auditPending' | 'deleted'
>;

/**
 * What an idempotent create or rotate answers: the new key with its secret, or,
 * for a repeat of a request that issued one already, that key without it.
 */
export type IssueOutcome = { replayed: false; key: IssuedApiKey } | { replayed: true; key: ApiKey & { rotatedFrom?: string } };

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

/** The key as `changes` would leave it. */
function withChanges(key: KeyRecord, changes: KeyChanges): KeyRecord {
  const { expiresAt, ...rest } = changes;
  const changed: KeyRecord = { ...key, ...rest };
  if (expiresAt === null) delete changed.expiresAt;
  else if (expiresAt !== undefined) changed.expiresAt = expiresAt;
  return changed;
}

/**
 * The key lifecycle: every change to a key, and what it means for cached
 * authorizer answers. Every input is validated here, so each HTTP edge stays thin,
 * and every rule of the form "this change must take effect at once" lives here.
 */
export class KeyService {
  private readonly store: KeyStore;
  private readonly invalidation: AuthorizerCacheInvalidation;
  private readonly idempotency: IdempotencyRecords | undefined;
  private readonly tenants: KeyIssuancePreparation | undefined;
  private readonly audit: AuditTrail | undefined;
  private readonly onAuditDeliveryFailure: (error: unknown) => void;
  private readonly keyPrefix: string;
  private readonly now: () => Date;

  constructor(options: KeyServiceOptions) {
    this.store = options.store;
    this.invalidation = options.invalidation;
    this.idempotency = options.idempotency;
    this.tenants = options.tenants;
    this.audit = options.audit;
    this.onAuditDeliveryFailure = options.onAuditDeliveryFailure ?? (() => undefined);
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.now = options.now ?? (() => new Date());
    assertValidKeyPrefix(this.keyPrefix);
  }

  /** A caller that expires makes keys that expire with it at the latest; asking for later, or for none, is refused. */
  async create(tenantId: string, body: unknown, caller?: Caller): Promise<IssuedApiKey> {
    return this.issueNew(this.prepareCreate(tenantId, body, caller), caller);
  }

  /** create, once per Idempotency-Key: a repeat of the same request answers the key it issued, without its secret. */
  async createOnce(tenantId: string, body: unknown, caller: Caller | undefined, idempotencyKey: string): Promise<IssueOutcome> {
    const fields = this.prepareCreate(tenantId, body, caller);
    const request = this.idempotentRequest(fields.tenantId, `create:${actorOf(caller)}`, idempotencyKey, fields);
    return this.once(request, (keyId) => this.issueNew(fields, caller, keyId));
  }

  private prepareCreate(tenantId: string, body: unknown, caller: Caller | undefined): NewKeyFields {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(createKeyBodySchema, body);
    assertGrantable(input.scopes ?? [], caller);
    this.assertInFuture(input.expiresAt);
    const expiresAt = input.expiresAt === undefined ? expiryOf(caller) : (input.expiresAt ?? undefined);
    assertWithinCallerLife(expiresAt, caller, 'expiresAt');
    return { tenantId: tenant, name: input.name, scopes: input.scopes ?? [], enabled: true, expiresAt, meta: input.meta };
  }

  private async issueNew(fields: NewKeyFields, caller: Caller | undefined, keyId?: string): Promise<IssuedApiKey> {
    const plannedId = keyId ?? `key_${ulid(this.now().getTime())}`;
    const audit = this.recordOf(
      fields.tenantId,
      plannedId,
      'key.created',
      changedFields({}, auditedState(fields), AUDITED_FIELDS),
      caller,
    );
    const { key, record } = await this.issue(fields, { keyId: plannedId, audit });
    if (key.expiresAt) await this.invalidation.flushAt(key.id, key.expiresAt);
    await this.deliver(record, audit);
    return key;
  }

  /** The record of a change, to be written with it; none when the service records nothing. */
  private recordOf(
    tenantId: string,
    keyId: string,
    action: AuditAction,
    changes: Record<string, FieldChange>,
    caller: Caller | undefined,
  ): AuditRecord | undefined {
    return this.audit?.entry({ tenantId, keyId, action, changes, caller });
  }

  /**
   * Delivers a committed change's record. The change has been answered for by then:
   * a failure here leaves the record in its item, for the next change or the sweeper.
   */
  private async deliver(item: AuditedItem, record: AuditRecord | undefined): Promise<void> {
    if (!this.audit || !record) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const delivery = this.audit
      .deliver(record, () => this.store.settleAudit(item, record.id))
      .catch((error: unknown) => this.onAuditDeliveryFailure(error));
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.onAuditDeliveryFailure(new Error(`The audit record was not delivered within ${AUDIT_DELIVERY_BUDGET_MS} ms`));
        resolve();
      }, AUDIT_DELIVERY_BUDGET_MS);
    });
    await Promise.race([delivery, budget]);
    clearTimeout(timer);
  }

  /** A record left in the key by a change whose delivery was interrupted: delivered before the key changes again. */
  private async deliverStranded(existing: KeyRecord): Promise<void> {
    if (existing.audit) await this.deliver(existing, existing.audit);
  }

  async update(tenantId: string, keyId: string, body: unknown, caller?: Caller): Promise<ApiKey> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(updateKeyBodySchema, body);
    assertGrantable(input.scopes ?? [], caller);
    this.assertInFuture(input.expiresAt);
    const existing = await findTenantKey(this.store, tenant, keyId);
    let guard: KeyStateGuard | undefined;
    if (isRestricted(caller) && (input.enabled === true || input.expiresAt !== undefined)) {
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
    const changes = changedFields(auditedState(existing), auditedState(withChanges(existing, input)), AUDITED_FIELDS);
    // A change to nothing is no change, and leaves no record.
    const audit =
      Object.keys(changes).length > 0 ? this.recordOf(tenant, existing.keyId, 'key.updated', changes, caller) : undefined;
    await this.deliverStranded(existing);
    let change: KeyChange | undefined;
    try {
      change = await this.store.update(existing, input, guard, audit);
    } catch (error) {
      // A write whose answers were lost may have landed: one that takes access away flushes all the same.
      if (error instanceof StoreUnavailableError && revokesOrNarrows(existing, withChanges(existing, input))) {
        await this.invalidation.flushNow();
      }
      throw error;
    }
    if (!change) throw new KeyNotFoundError();
    // Judged against the state the write replaced, and the one read before it: when the SDK sent the
    // write again after its first attempt landed, the state it replaced is this change's own.
    if (revokesOrNarrows(change.before, change.after) || revokesOrNarrows(existing, change.after)) {
      await this.invalidation.flushNow();
    }
    if (input.expiresAt) await this.invalidation.flushAt(change.after.keyId, input.expiresAt);
    await this.deliver(change.after, audit);
    return toApiKey(change.after, this.now());
  }

  /**
   * Deletes a key that exists. If it is gone by the time of the write, that was another delete,
   * or this one's own first attempt, whose answer was lost and which the SDK sent again: either
   * way it is gone, as asked. A write that failed may have landed, so it flushes too.
   */
  async delete(tenantId: string, keyId: string, caller?: Caller): Promise<void> {
    const existing = await findTenantKey(this.store, tenantId, keyId);
    await this.deliverStranded(existing);
    const audit = this.recordOf(
      existing.tenantId,
      existing.keyId,
      'key.deleted',
      { name: { old: existing.name, new: null } },
      caller,
    );
    let marked = false;
    try {
      // Recorded, the key is marked deleted (from then on it is unknown to every reader) and removed once the record is delivered.
      if (audit) marked = (await this.store.markDeleted(existing, audit)) === 'marked';
      else await this.store.delete(existing);
    } catch (error) {
      if (error instanceof StoreUnavailableError) await this.invalidation.flushNow();
      throw error;
    }
    await this.invalidation.flushNow();
    if (marked) await this.deliver({ ...existing, deleted: true }, audit);
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
  async rotate(tenantId: string, keyId: string, body: unknown, caller?: Caller): Promise<IssuedApiKey> {
    const { gracePeriodSeconds } = parseOrThrow(rotateKeyBodySchema, body ?? {});
    return this.rotateKey(tenantId, keyId, gracePeriodSeconds, caller);
  }

  /** rotate, once per Idempotency-Key: a repeat of the same request answers the replacement it issued, without its secret. */
  async rotateOnce(
    tenantId: string,
    keyId: string,
    body: unknown,
    caller: Caller | undefined,
    idempotencyKey: string,
  ): Promise<IssueOutcome> {
    const tenant = parseOrThrow(tenantIdSchema, tenantId, 'tenantId');
    const input = parseOrThrow(rotateKeyBodySchema, body ?? {});
    const request = this.idempotentRequest(tenant, `rotate:${keyId}:${actorOf(caller)}`, idempotencyKey, input);
    const outcome = await this.once(request, (replacementId) =>
      this.rotateKey(tenant, keyId, input.gracePeriodSeconds, caller, replacementId),
    );
    return outcome.replayed ? { replayed: true, key: { ...outcome.key, rotatedFrom: keyId } } : outcome;
  }

  private async rotateKey(
    tenantId: string,
    keyId: string,
    gracePeriodSeconds: number,
    caller?: Caller,
    replacementId?: string,
  ): Promise<IssuedApiKey> {
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
    const replacementExpiry = earliest(ownExpiry, expiryOf(caller));
    const graceEnds = new Date(now.getTime() + gracePeriodSeconds * 1000).toISOString();
    const retiredAt = earliest(ownExpiry, graceEnds) as string;

    const replacement = await this.issue(
      {
        tenantId: old.tenantId,
        name: old.name,
        scopes: old.scopes,
        enabled: old.enabled,
        expiresAt: replacementExpiry,
        meta: old.meta,
      },
      {
        keyId: replacementId,
        pending: { pending: true, ttl: Math.ceil(now.getTime() / 1000) + PENDING_REPLACEMENT_TTL_SECONDS },
      },
    );
    const rotation = { to: replacement.record.keyId, previousExpiresAt: ownExpiry ?? null };
    const audit = this.recordOf(
      old.tenantId,
      old.keyId,
      'key.rotated',
      {
        rotatedTo: { old: null, new: replacement.record.keyId },
        ...changedFields({ expiresAt: old.expiresAt }, { expiresAt: retiredAt }, ['expiresAt']),
      },
      caller,
    );
    await this.deliverStranded(old);
    try {
      const retired = await this.store.retire(
        old,
        { rotation, expiresAt: retiredAt },
        unfinished ? { supersedes: unfinished.to } : { unexpiredAt: now.toISOString() },
        audit,
      );
      if (retired === 'gone') throw new KeyNotFoundError();
      if (retired === 'changed') throw new ConflictError('The key was rotated or changed meanwhile; read it again and retry.');
      await this.store.activate(replacement.record);
    } catch (error) {
      // Undo what can be undone: the old key's retirement, then the replacement, which nobody has seen.
      await this.store.restore(old, rotation, audit?.id).catch(() => undefined);
      await this.store.delete(replacement.record).catch(() => undefined);
      throw error;
    }

    // With no grace period the old key stops now. Either way a flush is due when it stops: for
    // no grace period, that one catches an authorization that read the key just before this write.
    if (Date.parse(retiredAt) <= now.getTime()) await this.invalidation.flushNow();
    await this.invalidation.flushAt(old.keyId, retiredAt);
    if (replacementExpiry) await this.invalidation.flushAt(replacement.record.keyId, replacementExpiry);
    await this.deliver(old, audit);
    return { ...replacement.key, rotatedFrom: old.keyId };
  }

  /** The old key's rotation, if it never finished: its replacement is gone or still pending. */
  private async unfinishedRotation(old: KeyRecord): Promise<KeyRecord['rotation']> {
    const rotation = old.rotation;
    if (!rotation) return undefined;
    const replacement = await this.store.findById(old.tenantId, rotation.to, { includePending: true });
    return replacement === undefined || replacement.pending ? rotation : undefined;
  }

  private idempotentRequest(tenantId: string, scope: string, idempotencyKey: string, input: unknown): IdempotentRequest {
    const key = parseIdempotencyKey(idempotencyKey) as string;
    if (!this.idempotency) throw new Error('This service was built without idempotency records');
    return { tenantId, scope, key, fingerprint: fingerprintOf(input) };
  }

  /**
   * Runs `issue` once per idempotent request. The claim names the key id up front,
   * so a later attempt that takes over an unfinished one can tell whether it had
   * issued its key already.
   */
  private async once(request: IdempotentRequest, issue: (keyId: string) => Promise<IssuedApiKey>): Promise<IssueOutcome> {
    const records = this.idempotency as IdempotencyRecords;
    const now = this.now();
    const plannedKeyId = `key_${ulid(now.getTime())}`;
    const leaseUntil = new Date(now.getTime() + IDEMPOTENCY_LEASE_MS).toISOString();
    let claim: IdempotencyClaim;
    try {
      claim = await records.claim(request, plannedKeyId, {
        now: now.toISOString(),
        leaseUntil,
        expiresAt: new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS).toISOString(),
      });
    } catch (error) {
      // The claim may have landed, its answers lost: a retry should not wait out its lease behind a 409.
      await records.release(request, leaseUntil).catch(() => undefined);
      throw error;
    }
    switch (claim.outcome) {
      case 'mismatch':
        throw new IdempotencyMismatchError();
      case 'inProgress':
        throw new RequestInProgressError();
      case 'completed': {
        const issued = await this.store.findById(request.tenantId, claim.keyId);
        if (!issued) throw new ConflictError('The key this request created has been deleted since.');
        return { replayed: true, key: toApiKey(issued, this.now()) };
      }
      case 'resumable': {
        // The attempt it takes over may have issued its key before it stopped.
        const issued = await this.store.findById(request.tenantId, claim.keyId);
        if (issued) {
          await records.complete(request);
          return { replayed: true, key: toApiKey(issued, this.now()) };
        }
        return this.issueThenComplete(records, request, leaseUntil, () => issue(claim.keyId));
      }
      case 'claimed':
        return this.issueThenComplete(records, request, leaseUntil, () => issue(plannedKeyId));
    }
  }

  private async issueThenComplete(
    records: IdempotencyRecords,
    request: IdempotentRequest,
    leaseUntil: string,
    issue: () => Promise<IssuedApiKey>,
  ): Promise<IssueOutcome> {
    let key: IssuedApiKey;
    try {
      key = await issue();
    } catch (error) {
      // A retry should meet the same error (or succeed), not wait out the lease behind a 409.
      await records.release(request, leaseUntil).catch(() => undefined);
      throw error;
    }
    // If this fails, the key is issued all the same: a repeat after the lease finds it and completes the record.
    await records.complete(request).catch(() => undefined);
    return { replayed: false, key };
  }

  private assertInFuture(expiresAt: string | null | undefined): void {
    if (expiresAt && Date.parse(expiresAt) <= this.now().getTime()) {
      throw new ValidationError([{ path: 'expiresAt', message: 'must be in the future' }]);
    }
  }

  private async issue(
    fields: NewKeyFields,
    options: { keyId?: string; pending?: { pending: true; ttl: number }; audit?: AuditRecord } = {},
  ): Promise<{ key: IssuedApiKey; record: KeyRecord }> {
    const { pending, audit } = options;
    await this.tenants?.prepareForKeys(fields.tenantId);
    for (let attempt = 1; ; attempt++) {
      const key = generateKey(this.keyPrefix);
      const createdAt = this.now();
      const record: KeyRecord = {
        ...fields,
        keyHash: hashKey(key),
        keyId: options.keyId ?? `key_${ulid(createdAt.getTime())}`,
        hint: hintFor(key),
        createdAt: createdAt.toISOString(),
      };
      if (fields.expiresAt === undefined) delete record.expiresAt;
      else record.ttl = ttlFor(fields.expiresAt);
      if (fields.meta === undefined || Object.keys(fields.meta).length === 0) delete record.meta;
      if (pending) Object.assign(record, pending);
      if (audit) Object.assign(record, { audit, auditPending: audit.at });
      try {
        await this.store.create(record);
        return { key: { ...toApiKey(record, createdAt), key }, record };
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
      }
    }
  }
}
