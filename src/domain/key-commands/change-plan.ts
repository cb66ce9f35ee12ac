import type { KeyRecord, Rotation } from '../api-key';
import type { AuditRecord } from '../audit';
import type { Caller } from '../caller';
import type { ExpiryWarning, KeyChange, KeyStateGuard, KeyUpdate, Revocation } from '../key-store';

/**
 * A key command's decision, as data: the single-item writes that carry it out,
 * in order, each holding the change's audit record where the change is written.
 * The executor (change-executor.ts) performs the writes, undoes a plan that fails
 * part-way, and derives every authorizer cache invalidation from the writes, so
 * no decision can forget one.
 */
export interface ChangePlan {
  readonly writes: readonly KeyWrite[];
}

/** A key about to be issued: everything but its secret, which the executor draws, with the hash and hint it gives. */
export interface NewKey {
  keyId: string;
  tenantId: string;
  name: string;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  expiresAt?: string;
  meta?: Record<string, string>;
}

export type KeyWrite =
  /**
   * A new item. Live at once (a create), or `pending`: a rotation's replacement,
   * holding the rotation's record, which nobody can use or see until `activate`.
   * `request` names the idempotent request that issues it. `warning`, the key's
   * expiry warning when it is due at once, is the executor's to add, never a decision's.
   */
  | { kind: 'issue'; key: NewKey; record: AuditRecord; pending: boolean; request?: string; warning?: ExpiryWarning }
  /**
   * An existing key's fields, and its record (none for a change to nothing), written only if the
   * key is still there (and, with `guard`, in that state). `warning` as for `issue`.
   */
  | {
      kind: 'update';
      key: KeyRecord;
      update: KeyUpdate;
      record?: AuditRecord;
      guard?: KeyStateGuard;
      warning?: ExpiryWarning;
    }
  /** An existing key's retirement by a rotation: it stops at `expiresAt`. */
  | {
      kind: 'retire';
      key: KeyRecord;
      rotation: Rotation;
      expiresAt: string;
      condition: { supersedes: string } | { unexpiredAt: string };
    }
  /** The pending key this plan issued, made live: last, so a plan that fails never leaves a live key nobody holds. */
  | { kind: 'activate' }
  /** An existing key marked deleted, with its record: from then on every reader takes it for gone. */
  | { kind: 'markDeleted'; key: KeyRecord; record: AuditRecord }
  /** An existing key revoked, with its record: disabled for good. A key revoked meanwhile is left as it is. */
  | { kind: 'revoke'; key: KeyRecord; revocation: Revocation; record: AuditRecord }
  /**
   * An existing key's warning of its expiry, recorded in it if it is still active with that expiry
   * and not warned of it. The executor writes it if it is due (adding `warning`), otherwise schedules it.
   */
  | { kind: 'warnOfExpiry'; key: KeyRecord; expiresAt: string; warning?: ExpiryWarning };

/** What carrying out a plan produced: the key it issued, with the one copy of its secret, and the change it wrote. */
export interface PlanOutcome {
  issued?: { record: KeyRecord; secret: string };
  change?: KeyChange;
}

/** What a decision knows besides the state and the input. */
export interface DecisionContext {
  caller: Caller;
  now: Date;
  /** The id a key this command issues gets: named up front, so an idempotent request can claim it. */
  newKeyId: string;
  /** The idempotent request this command runs for, by its id: the key it issues carries it. */
  request?: string;
}

/**
 * The state a command on an existing key decides on: the key, as read, and for a
 * command that asks for it, the replacement of the key's rotation, if the key was
 * rotated (undefined when that replacement is gone).
 */
export interface KeyState {
  key: KeyRecord;
  replacement?: KeyRecord;
}

/**
 * A key command: a pure decision over the tenant (for a command that makes a key)
 * or the key it acts on (read first), the typed input, the caller and the time,
 * and the answer it gives once its plan is carried out. Adding a command is adding
 * one of these and a handler that runs it (key-service.ts).
 */
export type KeyCommand<Input, Answer> =
  | {
      readonly target: 'tenant';
      /**
       * For a command that issues a key: its name in the scope of Idempotency-Keys
       * (`create`, `rotate`). The tenant is made ready for keys before it runs.
       */
      readonly issuesKeys?: string;
      decide(tenantId: string, input: Input, context: DecisionContext): ChangePlan;
      answer(outcome: PlanOutcome, context: DecisionContext): Answer;
    }
  | {
      readonly target: 'key';
      readonly issuesKeys?: string;
      /** Whether the decision needs the replacement of a rotated key (a read more, for rotated keys only). */
      readonly readsReplacement?: boolean;
      decide(state: KeyState, input: Input, context: DecisionContext): ChangePlan;
      answer(outcome: PlanOutcome, state: KeyState, context: DecisionContext): Answer;
    };
