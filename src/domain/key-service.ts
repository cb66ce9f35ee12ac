import { monotonicFactory } from 'ulid';
import { type ApiKey, type IssuedApiKey, type KeyRecord, toApiKey } from './api-key';
import { type AuthorizerCacheInvalidation, BatchedInvalidation } from './authorizer-cache-invalidation';
import { type Caller, requesterOf } from './caller';
import { BatchCutShortError, ConflictError, IdempotencyMismatchError, KeyNotFoundError, RequestInProgressError } from './errors';
import type { ExpiryWarnings } from './expiry-warnings';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_WINDOW_MS, type IdempotencyRecords, idempotentRequestOf } from './idempotency';
import { ChangeExecutor, type ChangeExecutorPorts, type WaitingRecordsDelivery } from './key-commands/change-executor';
import type { DecisionContext, KeyCommand, KeyState } from './key-commands/change-plan';
import { assertValidKeyPrefix, DEFAULT_KEY_PREFIX } from './key-format';
import { findTenantKey } from './key-lookup';
import type { KeyStore } from './key-store';

export interface KeyServiceOptions {
  store: KeyStore;
  invalidation: AuthorizerCacheInvalidation;
  /** Delivers a key's waiting records when a change finds no room for its own; without it, that change is a 409. */
  delivery?: WaitingRecordsDelivery;
  /** Where keys' expiry warnings are scheduled, and how long before; without it, no key is warned (see expiry-warnings.ts). */
  expiryWarnings?: ExpiryWarnings;
  /** Where idempotent requests are remembered; without it, an Idempotency-Key is refused. */
  idempotency?: IdempotencyRecords;
  /**
   * Gets a tenant ready for its keys (its usage plan) before one is issued; without it,
   * keys are issued with no plan arranged.
   */
  tenants?: KeyIssuancePreparation;
  /** @default 'ak' */
  keyPrefix?: string;
  /** @default () => new Date() */
  now?: () => Date;
}

/** What must hold for a tenant before a key of it can work: TenantService.prepareForKeys. */
export interface KeyIssuancePreparation {
  prepareForKeys(tenantId: string): Promise<void>;
}

/** A request to run a key command: the tenant (already checked at the edge), the key it acts on, its typed input. */
export interface CommandRequest<Input> {
  tenantId: string;
  /** The key a command on an existing key acts on, as the path names it: a malformed id is simply not found. */
  keyId?: string;
  input: Input;
  caller: Caller;
}

/**
 * A key command's request on the key a presented secret names (its holder's, a
 * secret scanner's): the secret, checked and hashed at the edge, goes no further
 * than its hash. No tenant is named: the key's own is the one acted on.
 */
export interface SecretCommandRequest<Input> {
  keyHash: string;
  input: Input;
  caller: Caller;
}

/** How many keys a batch of secrets acts on at once: a payload of many secrets answers in time, and throttles nothing. */
const SECRETS_AT_ONCE = 16;

export interface SecretBatchOptions {
  /**
   * Whether another key may still be started: false once the time left is only
   * enough to finish those under way and flush. Then none is started any more,
   * the caches are flushed for what was done, and the batch fails (BatchCutShortError),
   * so nothing done goes unflushed and nothing left undone goes unsaid.
   */
  mayStart?: () => boolean;
}

/**
 * What a command that issues a key answers: the new key with its secret, or, for
 * a repeat of an idempotent request that issued one already, that key without it.
 */
export type IssueOutcome = { replayed: false; key: IssuedApiKey } | { replayed: true; key: ApiKey & { rotatedFrom?: string } };

const ulid = monotonicFactory();

/**
 * Runs key commands (key-commands/): reads the state a command decides on, has
 * it decide, and has the executor carry the plan out. Idempotent requests are
 * claimed here, in parallel with the read and with getting the tenant ready for
 * keys, since none of the three waits on another.
 */
export class KeyService {
  private readonly store: KeyStore;
  private readonly idempotency: IdempotencyRecords | undefined;
  private readonly tenants: KeyIssuancePreparation | undefined;
  private readonly executorPorts: ChangeExecutorPorts;
  private readonly executor: ChangeExecutor;
  private readonly now: () => Date;

  constructor(options: KeyServiceOptions) {
    this.store = options.store;
    this.idempotency = options.idempotency;
    this.tenants = options.tenants;
    this.now = options.now ?? (() => new Date());
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    assertValidKeyPrefix(keyPrefix);
    this.executorPorts = {
      store: this.store,
      invalidation: options.invalidation,
      delivery: options.delivery,
      expiryWarnings: options.expiryWarnings,
      keyPrefix,
      now: this.now,
    };
    this.executor = new ChangeExecutor(this.executorPorts);
  }

  /** Runs a command: the state it acts on, its decision, its plan carried out, its answer. */
  async run<Input, Answer>(command: KeyCommand<Input, Answer>, request: CommandRequest<Input>): Promise<Answer> {
    const [state] = await Promise.all([this.stateFor(command, request), this.prepared(command, request.tenantId)]);
    return this.decideAndExecute(command, request, state, this.contextFor(request.caller));
  }

  /**
   * Runs a command on each key that presented secrets name, a few at a time, and
   * flushes the authorizer caches once for them all, when every one is done. Each
   * costs the same one read by hash whether its key exists or not. Answers, in
   * order, each command's answer, or undefined where no key has that secret (a
   * pending replacement and a deleted key have none, nor a key deleted before its
   * command's write). When a command fails, the others still run and the flush is
   * still made; then the first failure is thrown. When time runs out (`mayStart`),
   * those under way finish, the flush is made, and BatchCutShortError is thrown.
   */
  async runOnSecrets<Input, Answer>(
    command: KeyCommand<Input, Answer>,
    requests: readonly SecretCommandRequest<Input>[],
    { mayStart = () => true }: SecretBatchOptions = {},
  ): Promise<(Answer | undefined)[]> {
    if (command.target !== 'key') throw new Error('Only a command on an existing key runs on the key a secret names');
    const invalidation = new BatchedInvalidation(this.executorPorts.invalidation);
    const executor = new ChangeExecutor({ ...this.executorPorts, invalidation });
    const runOne = async ({ keyHash, input, caller }: SecretCommandRequest<Input>): Promise<Answer | undefined> => {
      const key = await this.store.findByHash(keyHash);
      if (!key || key.pending || key.deleted) return undefined;
      const context = this.contextFor(caller);
      const state = { key };
      try {
        return command.answer(await executor.execute(command.decide(state, input, context), context.now), state, context);
      } catch (error) {
        // Deleted between the read and the write: no key has that secret now, as if the read had come after.
        if (error instanceof KeyNotFoundError) return undefined;
        throw error;
      }
    };
    const results: PromiseSettledResult<Answer | undefined>[] = [];
    let started = 0;
    let outOfTime = false;
    // A few at a time: each of these takes the next request while there is time to.
    const worker = async () => {
      while (started < requests.length && !outOfTime) {
        if (!mayStart()) {
          outOfTime = true;
          return;
        }
        const index = started++;
        try {
          results[index] = { status: 'fulfilled', value: await runOne(requests[index]) };
        } catch (reason) {
          results[index] = { status: 'rejected', reason };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SECRETS_AT_ONCE, requests.length) }, worker));
    await invalidation.settle();
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    if (outOfTime) throw new BatchCutShortError(started, requests.length);
    return results.map((result) => (result as PromiseFulfilledResult<Answer | undefined>).value);
  }

  /**
   * Runs a command that issues a key, once per Idempotency-Key when one is given: a
   * repeat of the same request answers the key it issued, without its secret.
   */
  async issue<Input>(
    command: KeyCommand<Input, IssuedApiKey>,
    request: CommandRequest<Input>,
    idempotencyKey?: string,
  ): Promise<IssueOutcome> {
    if (idempotencyKey === undefined) return { replayed: false, key: await this.run(command, request) };
    const scope = [command.issuesKeys, request.keyId, requesterOf(request.caller)].filter(Boolean).join(':');
    const idempotent = idempotentRequestOf(request.tenantId, scope, idempotencyKey, request.input);
    const records = this.idempotency;
    if (!records) throw new Error('This service was built without idempotency records');
    const now = this.now();
    const plannedKeyId = `key_${ulid(now.getTime())}`;
    const leaseUntil = new Date(now.getTime() + IDEMPOTENCY_LEASE_MS).toISOString();
    const claiming = records.claim(idempotent, plannedKeyId, {
      now: now.toISOString(),
      leaseUntil,
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS).toISOString(),
    });
    const release = () => records.release(idempotent, leaseUntil).catch(() => undefined);
    const [claimed, read, prepared] = await Promise.allSettled([
      claiming,
      this.stateFor(command, request),
      this.prepared(command, request.tenantId),
    ]);
    if (claimed.status === 'rejected') {
      // The claim may have landed, its answers lost: a retry should not wait out its lease behind a 409.
      await release();
      throw claimed.reason;
    }
    const claim = claimed.value;
    /** Issues the key, once the state it is decided on is read and the tenant is ready; a repeat needs neither. */
    const issueWith = async (keyId: string): Promise<IssueOutcome> => {
      try {
        if (read.status === 'rejected') throw read.reason;
        if (prepared.status === 'rejected') throw prepared.reason;
        const context = { ...this.contextFor(request.caller), newKeyId: keyId, request: idempotent.id };
        return { replayed: false, key: await this.decideAndExecute(command, request, read.value, context) };
      } catch (error) {
        // A retry should meet the same error (or succeed), not wait out the lease behind a 409.
        await release();
        throw error;
      }
    };
    const replay = (issued: KeyRecord): IssueOutcome => ({
      replayed: true,
      key: { ...toApiKey(issued, this.now()), ...(request.keyId === undefined ? {} : { rotatedFrom: request.keyId }) },
    });
    switch (claim.outcome) {
      case 'mismatch':
        throw new IdempotencyMismatchError();
      case 'completed': {
        const issued = await this.store.findById(request.tenantId, claim.keyId);
        if (!issued) throw new ConflictError('The key this request created has been deleted since.');
        return replay(issued);
      }
      case 'inProgress': {
        // The attempt that holds it may have issued its key already: its completion travels with the key's record.
        const issued = claim.keyId === undefined ? undefined : await this.issuedBy(request.tenantId, claim.keyId);
        if (issued === 'deleted') throw new ConflictError('The key this request created has been deleted since.');
        if (!issued) throw new RequestInProgressError();
        return replay(issued);
      }
      case 'resumable': {
        // The attempt it takes over may have issued its key before it stopped.
        const issued = await this.issuedBy(request.tenantId, claim.keyId);
        if (issued === 'deleted') throw new ConflictError('The key this request created has been deleted since.');
        if (issued) return replay(issued);
        return issueWith(claim.keyId);
      }
      case 'claimed':
        return issueWith(plannedKeyId);
    }
  }

  /** The live key an idempotent request issued, `deleted` if it was deleted since, undefined if it was never issued. */
  private async issuedBy(tenantId: string, keyId: string): Promise<KeyRecord | 'deleted' | undefined> {
    const found = await this.store.findById(tenantId, keyId, { includeDeleted: true });
    return found?.deleted ? 'deleted' : found;
  }

  private async decideAndExecute<Input, Answer>(
    command: KeyCommand<Input, Answer>,
    request: CommandRequest<Input>,
    state: KeyState | undefined,
    context: DecisionContext,
  ): Promise<Answer> {
    if (command.target === 'tenant') {
      const plan = command.decide(request.tenantId, request.input, context);
      return command.answer(await this.executor.execute(plan, context.now), context);
    }
    const current = state as KeyState;
    const plan = command.decide(current, request.input, context);
    return command.answer(await this.executor.execute(plan, context.now), current, context);
  }

  private contextFor(caller: Caller): DecisionContext {
    const now = this.now();
    return { caller, now, newKeyId: `key_${ulid(now.getTime())}` };
  }

  /** What a command on an existing key decides on: the key, and, if it asks, its rotation's replacement. */
  private async stateFor<Input, Answer>(
    command: KeyCommand<Input, Answer>,
    request: CommandRequest<Input>,
  ): Promise<KeyState | undefined> {
    if (command.target === 'tenant') return undefined;
    const key = await findTenantKey(this.store, request.tenantId, request.keyId ?? '');
    if (!command.readsReplacement || !key.rotation) return { key };
    return { key, replacement: await this.store.findById(key.tenantId, key.rotation.to, { includePending: true }) };
  }

  /** A command that issues a key needs its tenant ready for keys first. */
  private async prepared<Input, Answer>(command: KeyCommand<Input, Answer>, tenantId: string): Promise<void> {
    if (command.issuesKeys) await this.tenants?.prepareForKeys(tenantId);
  }
}
