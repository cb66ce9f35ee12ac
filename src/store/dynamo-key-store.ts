import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type KeyRecord, type Rotation, ttlFor } from '../domain/api-key';
import type { AuditRecord } from '../domain/audit';
import { ConcurrentChangeError, StoreConflictError } from '../domain/errors';
import type { AuditedItem, KeyChange, KeyChanges, KeyPage, KeyStateGuard, KeyStore, PagePosition } from '../domain/key-store';
import { sendRequest } from './dynamodb-client';
import { allOf, buildExpressions, namePlaceholders } from './expressions';
import { KeyTableReads, type KeyTableTransport } from './key-table-reads';
import { KEY_TABLE } from './table-schema';

const { byTenantIndex, pendingAuditIndex } = KEY_TABLE;
/** How many stranded records one sweep delivers at most; the next sweep takes the rest. */
const MAX_PENDING_PER_SWEEP = 500;

const ATTRIBUTE = namePlaceholders<keyof KeyRecord | keyof Rotation | keyof AuditRecord>([
  'keyHash',
  'keyId',
  'tenantId',
  'name',
  'hint',
  'scopes',
  'enabled',
  'createdAt',
  'expiresAt',
  'ttl',
  'meta',
  'pending',
  'rotation',
  'to',
  'audit',
  'auditPending',
  'deleted',
  'id',
]);

/** Named conditions; their value placeholders are the same everywhere they are used. */
const CONDITION = {
  /** No item has this key hash yet: a write never overwrites another key. */
  isNewItem: `attribute_not_exists(${ATTRIBUTE.keyHash})`,
  /** The item is this tenant's key with this id: the lookup by id, and the guard on every write after one. */
  isOwnedBy: `${ATTRIBUTE.tenantId} = :tenantId AND ${ATTRIBUTE.keyId} = :keyId`,
  isTenant: `${ATTRIBUTE.tenantId} = :tenantId`,
  isBefore: `${ATTRIBUTE.keyId} < :after`,
  isLive: `attribute_not_exists(${ATTRIBUTE.pending})`,
  isPending: `attribute_exists(${ATTRIBUTE.pending})`,
  isNotRotated: `attribute_not_exists(${ATTRIBUTE.rotation})`,
  /** Rotated to :to: the rotation a retry supersedes, or the one a failure undoes. */
  isRotatedTo: `${ATTRIBUTE.rotation}.${ATTRIBUTE.to} = :to`,
  /**
   * Has no expiry, or one after :now (epoch seconds). It compares `ttl`, a number, rather than the
   * expiry's text: an instant and its text need not sort alike.
   */
  isUnexpired: `attribute_not_exists(${ATTRIBUTE.ttl}) OR ${ATTRIBUTE.ttl} > :now`,
  isNotDeleted: `attribute_not_exists(${ATTRIBUTE.deleted})`,
  /**
   * No other change's record is pending: each change's record waits for delivery in
   * the item, and is never written over. A retry of this change's own write passes.
   */
  auditSlotIsFree: `attribute_not_exists(${ATTRIBUTE.audit}) OR ${ATTRIBUTE.audit}.${ATTRIBUTE.id} = :auditId`,
  isAuditPending: `${ATTRIBUTE.audit}.${ATTRIBUTE.id} = :auditId`,
  isPendingBefore: `${ATTRIBUTE.auditPending} < :before`,
} as const;

/** The SET clauses and values that write a change's record into its item, and the condition that guards the slot. */
function auditClauses(audit: AuditRecord | undefined): { set: string[]; values: Record<string, unknown>; condition?: string } {
  if (!audit) return { set: [], values: {} };
  return {
    set: [`${ATTRIBUTE.audit} = :audit`, `${ATTRIBUTE.auditPending} = :auditPending`],
    values: { ':audit': audit, ':auditPending': audit.at, ':auditId': audit.id },
    condition: CONDITION.auditSlotIsFree,
  };
}

const ownedBy = (key: Pick<KeyRecord, 'tenantId' | 'keyId'>) => ({ ':tenantId': key.tenantId, ':keyId': key.keyId });

/**
 * The key is still in the state a decision was based on. Scopes are distinct, so
 * the same count and each one present is the same set (membership rather than
 * list equality, which dynalite does not compare).
 */
function stateIs(guard: KeyStateGuard): { condition: string; values: Record<string, unknown> } {
  const values: Record<string, unknown> = { ':wasEnabled': guard.enabled, ':scopeCount': guard.scopes.length };
  const parts = [`${ATTRIBUTE.enabled} = :wasEnabled`, `size(${ATTRIBUTE.scopes}) = :scopeCount`];
  guard.scopes.forEach((scope, index) => {
    values[`:scope${index}`] = scope;
    parts.push(`contains(${ATTRIBUTE.scopes}, :scope${index})`);
  });
  if (guard.expiresAt === null) parts.push(`attribute_not_exists(${ATTRIBUTE.expiresAt})`);
  else {
    values[':wasExpiresAt'] = guard.expiresAt;
    parts.push(`${ATTRIBUTE.expiresAt} = :wasExpiresAt`);
  }
  return { condition: parts.join(' AND '), values };
}

/** SET and REMOVE clauses for a change, and the record it leaves. */
function changeClauses(changes: KeyChanges): { set: string[]; remove: string[]; values: Record<string, unknown> } {
  const set: string[] = [];
  const remove: string[] = [];
  const values: Record<string, unknown> = {};
  const assign = (attribute: 'name' | 'scopes' | 'enabled' | 'meta' | 'expiresAt' | 'ttl', value: unknown) => {
    set.push(`${ATTRIBUTE[attribute]} = :${attribute}`);
    values[`:${attribute}`] = value;
  };
  if (changes.name !== undefined) assign('name', changes.name);
  if (changes.scopes !== undefined) assign('scopes', changes.scopes);
  if (changes.enabled !== undefined) assign('enabled', changes.enabled);
  // No metadata is stored as no attribute, as a key created without it has none.
  if (changes.meta !== undefined && Object.keys(changes.meta).length === 0) remove.push(ATTRIBUTE.meta);
  else if (changes.meta !== undefined) assign('meta', changes.meta);
  if (changes.expiresAt === null) remove.push(ATTRIBUTE.expiresAt, ATTRIBUTE.ttl);
  else if (changes.expiresAt !== undefined) {
    assign('expiresAt', changes.expiresAt);
    assign('ttl', ttlFor(changes.expiresAt));
  }
  return { set, remove, values };
}

function applyChanges(record: KeyRecord, changes: KeyChanges): KeyRecord {
  const { expiresAt, ...rest } = changes;
  const after: KeyRecord = { ...record, ...rest };
  if (changes.meta !== undefined && Object.keys(changes.meta).length === 0) delete after.meta;
  if (expiresAt === null) {
    delete after.expiresAt;
    delete after.ttl;
  } else if (expiresAt !== undefined) {
    after.expiresAt = expiresAt;
    after.ttl = ttlFor(expiresAt);
  }
  return after;
}

/** The read path's two calls through the SDK's document client. */
function documentClientTransport(client: DynamoDBDocumentClient): KeyTableTransport {
  return {
    getItem: async (request) => (await client.send(new GetCommand(request))).Item,
    updateItem: async (request, signal) => {
      await client.send(new UpdateCommand(request), { abortSignal: signal });
    },
  };
}

/** The key table's store: the only code that reads or writes it (its read path in key-table-reads.ts). */
export class DynamoKeyStore implements KeyStore {
  /** The read by hash and the lastUsedAt write, shared with the functions that verify keys (key-table-reads.ts). */
  private readonly reads: KeyTableReads;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.reads = new KeyTableReads(documentClientTransport(client), tableName);
  }

  async create(record: KeyRecord): Promise<void> {
    const written = await sendRequest(
      async () => {
        await this.client.send(
          new PutCommand({ TableName: this.tableName, Item: record, ...buildExpressions({ condition: CONDITION.isNewItem }) }),
        );
        return true;
      },
      () => false,
    );
    if (written) return;
    // The SDK retries a write whose answer was slow or lost; the retry then finds the item the first attempt wrote.
    const existing = await this.findByHash(record.keyHash);
    if (existing?.keyId !== record.keyId || existing.createdAt !== record.createdAt) {
      throw new StoreConflictError('A key with this hash already exists.');
    }
  }

  findByHash(keyHash: string): Promise<KeyRecord | undefined> {
    return this.reads.findByHash(keyHash);
  }

  async findById(tenantId: string, keyId: string, options: { includePending?: boolean } = {}): Promise<KeyRecord | undefined> {
    const result = await sendRequest(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byTenantIndex.name,
          ...buildExpressions(
            {
              keyCondition: CONDITION.isOwnedBy,
              filter: options.includePending ? CONDITION.isNotDeleted : allOf(CONDITION.isLive, CONDITION.isNotDeleted),
            },
            ownedBy({ tenantId, keyId }),
          ),
        }),
      ),
    );
    const items = (result.Items ?? []) as KeyRecord[];
    // A rotation retried after its compensation failed leaves a stale pending item under the same id until its TTL.
    return items.find((item) => !item.pending) ?? items[0];
  }

  async list(tenantId: string, limit: number, after?: PagePosition): Promise<KeyPage> {
    // Read one item past the page, so `next` is set only when another page really exists.
    const wanted = limit + 1;
    const items: KeyRecord[] = [];
    const listed = allOf(CONDITION.isLive, CONDITION.isNotDeleted);
    // Resuming is a key condition on the sort key, so a cursor never needs a key hash.
    const expressions = after
      ? buildExpressions(
          { keyCondition: allOf(CONDITION.isTenant, CONDITION.isBefore), filter: listed },
          { ':tenantId': tenantId, ':after': after.keyId },
        )
      : buildExpressions({ keyCondition: CONDITION.isTenant, filter: listed }, { ':tenantId': tenantId });
    let startKey: Record<string, unknown> | undefined;
    do {
      const result: QueryCommandOutput = await sendRequest(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: byTenantIndex.name,
            ...expressions,
            ScanIndexForward: false,
            Limit: wanted - items.length,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      items.push(...((result.Items ?? []) as KeyRecord[]));
      startKey = result.LastEvaluatedKey;
    } while (startKey && items.length < wanted);

    if (items.length <= limit) return { items };
    const page = items.slice(0, limit);
    return { items: page, next: { keyId: page[page.length - 1].keyId } };
  }

  async update(key: KeyRecord, changes: KeyChanges, guard?: KeyStateGuard, audit?: AuditRecord): Promise<KeyChange | undefined> {
    const { set, remove, values } = changeClauses(changes);
    if (set.length === 0 && remove.length === 0) return { before: key, after: key };
    const guarded = guard ? stateIs(guard) : undefined;
    const recording = auditClauses(audit);
    const condition = allOf(
      ...[CONDITION.isOwnedBy, CONDITION.isNotDeleted, guarded?.condition, recording.condition].filter(
        (part): part is string => part !== undefined,
      ),
    );
    let refused = false;
    const result = await sendRequest(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            // The state replaced, not the one read: the caller judges the change by it.
            ReturnValues: 'ALL_OLD',
            ...buildExpressions(
              { condition, set: [...set, ...recording.set], remove },
              { ...ownedBy(key), ...values, ...guarded?.values, ...recording.values },
            ),
          }),
        ),
      () => {
        refused = true;
        return undefined;
      },
    );
    if (refused) {
      // Deleted (or replaced) since it was read; with a guard, changed since the decision; or another change's record is pending.
      if (guard || (audit && (await this.holdsOtherRecord(key, audit.id)))) throw new ConcurrentChangeError();
      return undefined;
    }
    const before = result?.Attributes as KeyRecord | undefined;
    return before ? { before, after: applyChanges(before, changes) } : undefined;
  }

  async retire(
    key: KeyRecord,
    retirement: { rotation: Rotation; expiresAt: string },
    condition: { supersedes: string } | { unexpiredAt: string },
    audit?: AuditRecord,
  ): Promise<'retired' | 'gone' | 'changed'> {
    const recording = auditClauses(audit);
    const state =
      'supersedes' in condition
        ? { condition: CONDITION.isRotatedTo, values: { ':to': condition.supersedes } }
        : {
            condition: allOf(CONDITION.isNotRotated, CONDITION.isUnexpired),
            values: { ':now': Math.floor(Date.parse(condition.unexpiredAt) / 1000) },
          };
    const retired = await sendRequest(
      async () => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            ...buildExpressions(
              {
                condition: allOf(
                  ...[CONDITION.isOwnedBy, CONDITION.isNotDeleted, state.condition, recording.condition].filter(
                    (part): part is string => part !== undefined,
                  ),
                ),
                set: [
                  `${ATTRIBUTE.rotation} = :rotation`,
                  `${ATTRIBUTE.expiresAt} = :expiresAt`,
                  `${ATTRIBUTE.ttl} = :ttl`,
                  ...recording.set,
                ],
              },
              {
                ...ownedBy(key),
                ...state.values,
                ...recording.values,
                ':rotation': retirement.rotation,
                ':expiresAt': retirement.expiresAt,
                ':ttl': ttlFor(retirement.expiresAt),
              },
            ),
          }),
        );
        return true;
      },
      () => false,
    );
    if (retired) return 'retired';
    const now = await this.findByHash(key.keyHash);
    // The SDK retried a write whose first attempt had landed: the rotation found is this one's own.
    if (now?.rotation?.to === retirement.rotation.to && !now.deleted) return 'retired';
    return now?.tenantId === key.tenantId && now.keyId === key.keyId && !now.deleted ? 'changed' : 'gone';
  }

  async activate(replacement: KeyRecord): Promise<void> {
    const live = replacement.expiresAt === undefined;
    const activated = await sendRequest(
      async () => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: replacement.keyHash },
            ...buildExpressions(
              {
                condition: allOf(CONDITION.isOwnedBy, CONDITION.isPending),
                set: live ? [] : [`${ATTRIBUTE.ttl} = :ttl`],
                remove: live ? [ATTRIBUTE.pending, ATTRIBUTE.ttl] : [ATTRIBUTE.pending],
              },
              { ...ownedBy(replacement), ...(live ? {} : { ':ttl': ttlFor(replacement.expiresAt as string) }) },
            ),
          }),
        );
        return true;
      },
      () => false,
    );
    if (activated) return;
    // A retry of a write that landed finds the replacement live already.
    const now = await this.findByHash(replacement.keyHash);
    if (now?.keyId !== replacement.keyId || now.pending) throw new StoreConflictError('The replacement is gone.');
  }

  async restore(key: KeyRecord, rotation: Rotation, auditId?: string): Promise<void> {
    // The retirement's record goes with it, if it is still pending; otherwise the key is restored all the same.
    if (auditId !== undefined && (await this.restoreWith(key, rotation, auditId))) return;
    await this.restoreWith(key, rotation);
  }

  private async restoreWith(key: KeyRecord, rotation: Rotation, auditId?: string): Promise<boolean> {
    const previous = rotation.previousExpiresAt;
    const withdraw = auditId !== undefined;
    return sendRequest(
      async () => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            ...buildExpressions(
              {
                condition: withdraw
                  ? allOf(CONDITION.isOwnedBy, CONDITION.isRotatedTo, CONDITION.isAuditPending)
                  : allOf(CONDITION.isOwnedBy, CONDITION.isRotatedTo),
                set: previous === null ? [] : [`${ATTRIBUTE.expiresAt} = :expiresAt`, `${ATTRIBUTE.ttl} = :ttl`],
                remove: [
                  ...(previous === null ? [ATTRIBUTE.rotation, ATTRIBUTE.expiresAt, ATTRIBUTE.ttl] : [ATTRIBUTE.rotation]),
                  ...(withdraw ? [ATTRIBUTE.audit, ATTRIBUTE.auditPending] : []),
                ],
              },
              {
                ...ownedBy(key),
                ':to': rotation.to,
                ...(previous === null ? {} : { ':expiresAt': previous, ':ttl': ttlFor(previous) }),
                ...(withdraw ? { ':auditId': auditId } : {}),
              },
            ),
          }),
        );
        return true;
      },
      () => false,
    );
  }

  async delete(key: KeyRecord): Promise<KeyRecord | undefined> {
    const result = await sendRequest(
      () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            ReturnValues: 'ALL_OLD',
            ...buildExpressions({ condition: CONDITION.isOwnedBy }, ownedBy(key)),
          }),
        ),
      () => undefined,
    );
    return result?.Attributes as KeyRecord | undefined;
  }

  async markDeleted(key: KeyRecord, audit: AuditRecord): Promise<'marked' | 'gone'> {
    const recording = auditClauses(audit);
    const marked = await sendRequest(
      async () => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            ...buildExpressions(
              {
                condition: allOf(CONDITION.isOwnedBy, CONDITION.isNotDeleted, recording.condition as string),
                set: [`${ATTRIBUTE.deleted} = :deleted`, ...recording.set],
              },
              { ...ownedBy(key), ':deleted': true, ...recording.values },
            ),
          }),
        );
        return true;
      },
      () => false,
    );
    if (marked) return 'marked';
    const now = await this.findByHash(key.keyHash);
    // The SDK retried a write whose first attempt had landed: the mark found is this one's own.
    if (now?.deleted && now.audit?.id === audit.id) return 'marked';
    if (now?.tenantId !== key.tenantId || now.keyId !== key.keyId || now.deleted) return 'gone';
    throw new ConcurrentChangeError();
  }

  async settleAudit(item: AuditedItem, auditId: string): Promise<void> {
    const condition = buildExpressions(
      item.deleted
        ? { condition: CONDITION.isAuditPending }
        : { condition: CONDITION.isAuditPending, remove: [ATTRIBUTE.audit, ATTRIBUTE.auditPending] },
      { ':auditId': auditId },
    );
    const key = { keyHash: item.keyHash };
    // Already settled, by another delivery of the same record: nothing to do.
    await sendRequest(
      () =>
        this.client.send(
          item.deleted
            ? new DeleteCommand({ TableName: this.tableName, Key: key, ...condition })
            : new UpdateCommand({ TableName: this.tableName, Key: key, ...condition }),
        ),
      () => undefined,
    );
  }

  async pendingAudits(before: string): Promise<KeyRecord[]> {
    const hashes: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result: ScanCommandOutput = await sendRequest(() =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            IndexName: pendingAuditIndex.name,
            ...buildExpressions({ filter: CONDITION.isPendingBefore }, { ':before': before }),
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      hashes.push(...(result.Items ?? []).map((item) => item.keyHash as string));
      startKey = result.LastEvaluatedKey;
    } while (startKey && hashes.length < MAX_PENDING_PER_SWEEP);
    // The index is eventually consistent and holds keys only: each item is read as it is now.
    const items = await Promise.all(hashes.slice(0, MAX_PENDING_PER_SWEEP).map((hash) => this.findByHash(hash)));
    return items.filter((item): item is KeyRecord => item?.audit !== undefined);
  }

  /** Whether the key, read now, exists and holds another change's pending record. */
  private async holdsOtherRecord(key: KeyRecord, auditId: string): Promise<boolean> {
    const now = await this.findByHash(key.keyHash);
    return (
      now !== undefined &&
      now.tenantId === key.tenantId &&
      now.keyId === key.keyId &&
      !now.deleted &&
      now.audit !== undefined &&
      now.audit.id !== auditId
    );
  }

  recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void> {
    return this.reads.recordUse(keyHash, usedAt, notBefore, signal);
  }
}
