import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type KeyRecord, type Rotation, ttlFor } from '../domain/api-key';
import type { AuditRecord } from '../domain/audit';
import { ConcurrentChangeError, NoRoomForRecordError, StoreConflictError } from '../domain/errors';
import { isWarnable } from '../domain/expiry-warnings';
import {
  type AuditedItem,
  type ExpiryWarning,
  type KeyChange,
  type KeyPage,
  type KeyStateGuard,
  type KeyStore,
  type KeyUpdate,
  MAX_WAITING_RECORDS,
  type PagePosition,
  type Revocation,
} from '../domain/key-store';
import { allOf, buildExpressions, type ExpressionParts, namePlaceholders } from './expressions';
import { KeyTableReads, type KeyTableTransport } from './key-table-reads';
import { sendRequest } from './send-request';
import { KEY_TABLE } from './table-schema';
import { appendRecords, holdsExactly, itemsWaitingSince, MAX_SETTLE_ATTEMPTS, settledClauses } from './waiting-records';

const { byTenantIndex, pendingAuditIndex } = KEY_TABLE;

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
  'auditRecords',
  'auditPending',
  'idempotentRequest',
  'deleted',
  'revokedAt',
  'revokedReason',
  'expiryWarnedFor',
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
  isNotRevoked: `attribute_not_exists(${ATTRIBUTE.revokedAt})`,
  /** Not warned of the expiry :warnedFor yet. */
  isNotWarned: `attribute_not_exists(${ATTRIBUTE.expiryWarnedFor}) OR ${ATTRIBUTE.expiryWarnedFor} <> :warnedFor`,
  /** Works, but for its expiry: enabled, neither rotated nor revoked. */
  isActive: allOf(
    `${ATTRIBUTE.enabled} = :enabled`,
    `attribute_not_exists(${ATTRIBUTE.rotation})`,
    `attribute_not_exists(${ATTRIBUTE.revokedAt})`,
  ),
  /** Expires at :warnedFor, the expiry a warning is of. */
  expiresAtWarned: `${ATTRIBUTE.expiresAt} = :warnedFor`,
  /** Records wait in it, and it is live: a change that has taken effect (not a rotation's replacement yet). */
  holdsLiveRecords: allOf(`attribute_exists(${ATTRIBUTE.auditPending})`, `attribute_not_exists(${ATTRIBUTE.pending})`),
} as const;

/** A key item as the table holds it (a stream's image, say), as the domain reads it; undefined for anything else. */
export function keyRecordOf(item: Record<string, unknown>): KeyRecord | undefined {
  return typeof item[KEY_TABLE.partitionKey] === 'string' ? (item as unknown as KeyRecord) : undefined;
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
function changeClauses(changes: KeyUpdate): { set: string[]; remove: string[]; values: Record<string, unknown> } {
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

function applyChanges(record: KeyRecord, changes: KeyUpdate): KeyRecord {
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

  async findById(
    tenantId: string,
    keyId: string,
    options: { includePending?: boolean; includeDeleted?: boolean } = {},
  ): Promise<KeyRecord | undefined> {
    const filters = [
      ...(options.includePending ? [] : [CONDITION.isLive]),
      ...(options.includeDeleted ? [] : [CONDITION.isNotDeleted]),
    ];
    const result = await sendRequest(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byTenantIndex.name,
          ...buildExpressions(
            { keyCondition: CONDITION.isOwnedBy, ...(filters.length > 0 ? { filter: allOf(...filters) } : {}) },
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

  async update(
    key: KeyRecord,
    update: KeyUpdate,
    record?: AuditRecord,
    guard?: KeyStateGuard,
    warning?: ExpiryWarning,
  ): Promise<KeyChange | undefined> {
    const { set, remove, values } = changeClauses(update);
    const records = [record, warning?.record].filter((each): each is AuditRecord => each !== undefined);
    if (set.length === 0 && remove.length === 0 && records.length === 0) return { before: key, after: key };
    const guarded = guard ? stateIs(guard) : undefined;
    const recording =
      records.length > 0
        ? appendRecords(records as [AuditRecord, ...AuditRecord[]], MAX_WAITING_RECORDS)
        : { set: [], values: {}, condition: undefined };
    const warned = warning
      ? {
          set: [`${ATTRIBUTE.expiryWarnedFor} = :warnedFor`],
          condition: CONDITION.isNotWarned,
          values: { ':warnedFor': warning.expiresAt },
        }
      : { set: [], condition: undefined, values: {} };
    const condition = allOf(
      ...[
        CONDITION.isOwnedBy,
        CONDITION.isNotDeleted,
        // Read unrevoked, it is written only if it is still: a revocation in between wins.
        key.revokedAt === undefined ? CONDITION.isNotRevoked : undefined,
        guarded?.condition,
        warned.condition,
        recording.condition,
      ].filter((part): part is string => part !== undefined),
    );
    // The state replaced, not the one read: the caller judges the change by it.
    const before = await this.updateIfHolds(
      key.keyHash,
      { condition, set: [...set, ...warned.set, ...recording.set], remove },
      { ...ownedBy(key), ...values, ...guarded?.values, ...warned.values, ...recording.values },
    );
    if (!before) {
      // Deleted (or replaced) since it was read; revoked or warned since; with a guard, changed since the decision;
      // or no room for its records.
      const now = await this.liveNow(key);
      if (!now) return undefined;
      const revokedSince = now.revokedAt !== undefined && key.revokedAt === undefined;
      if (revokedSince || (warning && now.expiryWarnedFor === warning.expiresAt)) throw new ConcurrentChangeError();
      const full = records.length > 0 && (now.auditRecords?.length ?? 0) + records.length > MAX_WAITING_RECORDS;
      if (guard && !full) throw new ConcurrentChangeError();
      // Refused for want of room for its records (made since, perhaps): once there is, it can be written.
      if (records.length > 0) throw new NoRoomForRecordError();
      return undefined;
    }
    const after = applyChanges(before, update);
    if (warning) after.expiryWarnedFor = warning.expiresAt;
    return { before, after };
  }

  async revoke(key: KeyRecord, revocation: Revocation, record: AuditRecord): Promise<KeyChange | undefined> {
    // The one record beyond the limit (see MAX_WAITING_RECORDS): every other change leaves at most the limit.
    const recording = appendRecords([record], MAX_WAITING_RECORDS + 1);
    const before = await this.updateIfHolds(
      key.keyHash,
      {
        condition: allOf(CONDITION.isOwnedBy, CONDITION.isNotDeleted, CONDITION.isNotRevoked, recording.condition),
        set: [
          `${ATTRIBUTE.enabled} = :disabled`,
          `${ATTRIBUTE.revokedAt} = :revokedAt`,
          `${ATTRIBUTE.revokedReason} = :revokedReason`,
          ...recording.set,
        ],
      },
      {
        ...ownedBy(key),
        ':disabled': false,
        ':revokedAt': revocation.at,
        ':revokedReason': revocation.reason,
        ...recording.values,
      },
    );
    if (before)
      return { before, after: { ...before, enabled: false, revokedAt: revocation.at, revokedReason: revocation.reason } };
    const now = await this.liveNow(key);
    if (!now) return undefined;
    // Revoked already: by another request, or by this one's own first attempt, whose answer was lost.
    if (now.revokedAt !== undefined) return { before: now, after: now };
    // More records wait than any change leaves: only an item written otherwise.
    throw new NoRoomForRecordError();
  }

  async warnOfExpiry(key: KeyRecord, warning: ExpiryWarning): Promise<boolean> {
    const recording = appendRecords([warning.record], MAX_WAITING_RECORDS);
    const warned = await this.updateIfHolds(
      key.keyHash,
      {
        condition: allOf(
          CONDITION.isOwnedBy,
          CONDITION.isLive,
          CONDITION.isNotDeleted,
          CONDITION.isActive,
          CONDITION.expiresAtWarned,
          CONDITION.isNotWarned,
          recording.condition,
        ),
        set: [`${ATTRIBUTE.expiryWarnedFor} = :warnedFor`, ...recording.set],
      },
      { ...ownedBy(key), ':enabled': true, ':warnedFor': warning.expiresAt, ...recording.values },
    );
    if (warned) return true;
    const now = await this.liveNow(key);
    // Still due, so refused for want of room for its record.
    if (now && isWarnable(now, warning.expiresAt)) throw new NoRoomForRecordError();
    return false;
  }

  /** One conditional UpdateItem of an item: the state it replaced, or undefined when its condition did not hold. */
  private async updateIfHolds(
    keyHash: string,
    parts: ExpressionParts,
    values: Record<string, unknown>,
  ): Promise<KeyRecord | undefined> {
    const result = await sendRequest(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash },
            ReturnValues: 'ALL_OLD',
            ...buildExpressions(parts, values),
          }),
        ),
      () => undefined,
    );
    return result?.Attributes as KeyRecord | undefined;
  }

  async retire(
    key: KeyRecord,
    retirement: { rotation: Rotation; expiresAt: string },
    condition: { supersedes: string } | { unexpiredAt: string },
  ): Promise<'retired' | 'gone' | 'changed'> {
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
                condition: allOf(CONDITION.isOwnedBy, CONDITION.isNotDeleted, CONDITION.isNotRevoked, state.condition),
                set: [`${ATTRIBUTE.rotation} = :rotation`, `${ATTRIBUTE.expiresAt} = :expiresAt`, `${ATTRIBUTE.ttl} = :ttl`],
              },
              {
                ...ownedBy(key),
                ...state.values,
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

  async restore(key: KeyRecord, rotation: Rotation): Promise<void> {
    const previous = rotation.previousExpiresAt;
    await sendRequest(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            ...buildExpressions(
              {
                condition: allOf(CONDITION.isOwnedBy, CONDITION.isRotatedTo),
                set: previous === null ? [] : [`${ATTRIBUTE.expiresAt} = :expiresAt`, `${ATTRIBUTE.ttl} = :ttl`],
                remove: previous === null ? [ATTRIBUTE.rotation, ATTRIBUTE.expiresAt, ATTRIBUTE.ttl] : [ATTRIBUTE.rotation],
              },
              {
                ...ownedBy(key),
                ':to': rotation.to,
                ...(previous === null ? {} : { ':expiresAt': previous, ':ttl': ttlFor(previous) }),
              },
            ),
          }),
        ),
      // No longer carrying this rotation: nothing to undo.
      () => undefined,
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

  async markDeleted(key: KeyRecord, record: AuditRecord): Promise<'marked' | 'gone'> {
    const recording = appendRecords([record], MAX_WAITING_RECORDS);
    const marked = await sendRequest(
      async () => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            ...buildExpressions(
              {
                condition: allOf(CONDITION.isOwnedBy, CONDITION.isNotDeleted, recording.condition),
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
    if (now?.deleted && now.auditRecords?.some((waiting) => waiting.id === record.id)) return 'marked';
    if (now?.tenantId !== key.tenantId || now.keyId !== key.keyId || now.deleted) return 'gone';
    // Still live, so refused for want of room for its record.
    throw new NoRoomForRecordError();
  }

  async settleAudit(item: AuditedItem, auditIds: readonly string[], options: { requestCompleted?: boolean } = {}): Promise<void> {
    for (let attempt = 1; attempt <= MAX_SETTLE_ATTEMPTS; attempt++) {
      const now = await this.findByHash(item.keyHash);
      const waiting = now?.tenantId === item.tenantId && now.keyId === item.keyId ? (now.auditRecords ?? []) : [];
      const remaining = waiting.filter((record) => !auditIds.includes(record.id));
      // Already settled, by another delivery of the same records: nothing to do.
      if (remaining.length === waiting.length) return;
      if (await this.writeSettled(item.keyHash, waiting, remaining, Boolean(now?.deleted), options.requestCompleted)) return;
    }
    throw new ConcurrentChangeError();
  }

  /** One attempt at leaving only `remaining` in an item that holds `waiting`: false if it holds other records by now. */
  private writeSettled(
    keyHash: string,
    waiting: readonly AuditRecord[],
    remaining: readonly AuditRecord[],
    deleted: boolean,
    requestCompleted = false,
  ): Promise<boolean> {
    const unchanged = holdsExactly(waiting);
    const settledTo = settledClauses(remaining);
    const completed = requestCompleted ? [ATTRIBUTE.idempotentRequest] : [];
    return sendRequest(
      async () => {
        await this.client.send(
          // A deleted key's item goes with its last record.
          deleted && remaining.length === 0
            ? new DeleteCommand({
                TableName: this.tableName,
                Key: { keyHash },
                ...buildExpressions({ condition: unchanged.condition }, unchanged.values),
              })
            : new UpdateCommand({
                TableName: this.tableName,
                Key: { keyHash },
                ...buildExpressions(
                  { condition: unchanged.condition, set: settledTo.set, remove: [...settledTo.remove, ...completed] },
                  { ...unchanged.values, ...settledTo.values },
                ),
              }),
        );
        return true;
      },
      () => false,
    );
  }

  pendingAudits(before: string): Promise<KeyRecord[]> {
    return itemsWaitingSince(
      this.client,
      { tableName: this.tableName, indexName: pendingAuditIndex.name, partitionKey: KEY_TABLE.partitionKey },
      before,
      (keyHash) => this.findByHash(keyHash),
    );
  }

  waitingRecords(tenantId: string): Promise<AuditRecord[]> {
    return sendRequest(async () => {
      const records: AuditRecord[] = [];
      const pages = paginateQuery(
        { client: this.client },
        {
          TableName: this.tableName,
          IndexName: byTenantIndex.name,
          ...buildExpressions(
            { keyCondition: CONDITION.isTenant, filter: CONDITION.holdsLiveRecords },
            { ':tenantId': tenantId },
          ),
        },
      );
      for await (const page of pages) {
        for (const item of (page.Items ?? []) as KeyRecord[]) records.push(...(item.auditRecords ?? []));
      }
      return records;
    });
  }

  /** The key as it is now, if it is still the tenant's and not deleted. */
  private async liveNow(key: KeyRecord): Promise<KeyRecord | undefined> {
    const now = await this.findByHash(key.keyHash);
    return now?.tenantId === key.tenantId && now.keyId === key.keyId && !now.deleted ? now : undefined;
  }

  recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void> {
    return this.reads.recordUse(keyHash, usedAt, notBefore, signal);
  }
}
