import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type KeyRecord, type Rotation, ttlFor } from '../domain/api-key';
import { ConcurrentChangeError, StoreConflictError } from '../domain/errors';
import type { KeyChange, KeyChanges, KeyPage, KeyStateGuard, KeyStore, PagePosition } from '../domain/key-store';
import { sendRequest } from './dynamodb-client';
import { allOf, buildExpressions, namePlaceholders } from './expressions';
import { KEY_TABLE } from './table-schema';

const { byTenantIndex } = KEY_TABLE;

const ATTRIBUTE = namePlaceholders<keyof KeyRecord | keyof Rotation>([
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
  'lastUsedAt',
  'meta',
  'pending',
  'rotation',
  'to',
]);

/** Named conditions; their value placeholders are the same everywhere they are used. */
const CONDITION = {
  /** No item has this key hash yet: a write never overwrites another key. */
  isNewItem: `attribute_not_exists(${ATTRIBUTE.keyHash})`,
  /** The item is this tenant's key with this id: the lookup by id, and the guard on every write after one. */
  isOwnedBy: `${ATTRIBUTE.tenantId} = :tenantId AND ${ATTRIBUTE.keyId} = :keyId`,
  isTenant: `${ATTRIBUTE.tenantId} = :tenantId`,
  isBefore: `${ATTRIBUTE.keyId} < :after`,
  exists: `attribute_exists(${ATTRIBUTE.keyHash})`,
  /** lastUsedAt is absent or older than :notBefore. */
  useIsDue: `attribute_not_exists(${ATTRIBUTE.lastUsedAt}) OR ${ATTRIBUTE.lastUsedAt} < :notBefore`,
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
} as const;

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

/** The key table's store: the only code that reads or writes it. */
export class DynamoKeyStore implements KeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

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

  async findByHash(keyHash: string): Promise<KeyRecord | undefined> {
    // Consistent, so a key revoked a moment ago is never read back as live.
    const result = await sendRequest(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { keyHash }, ConsistentRead: true })),
    );
    return result.Item as KeyRecord | undefined;
  }

  async findById(tenantId: string, keyId: string, options: { includePending?: boolean } = {}): Promise<KeyRecord | undefined> {
    const result = await sendRequest(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byTenantIndex.name,
          ...buildExpressions(
            { keyCondition: CONDITION.isOwnedBy, filter: options.includePending ? undefined : CONDITION.isLive },
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
    // Resuming is a key condition on the sort key, so a cursor never needs a key hash.
    const expressions = after
      ? buildExpressions(
          { keyCondition: allOf(CONDITION.isTenant, CONDITION.isBefore), filter: CONDITION.isLive },
          { ':tenantId': tenantId, ':after': after.keyId },
        )
      : buildExpressions({ keyCondition: CONDITION.isTenant, filter: CONDITION.isLive }, { ':tenantId': tenantId });
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

  async update(key: KeyRecord, changes: KeyChanges, guard?: KeyStateGuard): Promise<KeyChange | undefined> {
    const { set, remove, values } = changeClauses(changes);
    if (set.length === 0 && remove.length === 0) return { before: key, after: key };
    const guarded = guard ? stateIs(guard) : undefined;
    const condition = guarded ? allOf(CONDITION.isOwnedBy, guarded.condition) : CONDITION.isOwnedBy;
    const result = await sendRequest(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash: key.keyHash },
            // The state replaced, not the one read: the caller judges the change by it.
            ReturnValues: 'ALL_OLD',
            ...buildExpressions({ condition, set, remove }, { ...ownedBy(key), ...values, ...guarded?.values }),
          }),
        ),
      () => {
        // Deleted (or replaced) since it was read; with a guard, changed since the decision.
        if (guard) throw new ConcurrentChangeError();
        return undefined;
      },
    );
    const before = result?.Attributes as KeyRecord | undefined;
    return before ? { before, after: applyChanges(before, changes) } : undefined;
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
                condition: allOf(CONDITION.isOwnedBy, state.condition),
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
    if (now?.rotation?.to === retirement.rotation.to) return 'retired';
    return now?.tenantId === key.tenantId && now.keyId === key.keyId ? 'changed' : 'gone';
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

  async recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void> {
    // Touches only keyHash and lastUsedAt: the authorizer's IAM policy allows nothing else.
    await sendRequest(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { keyHash },
            ReturnValues: 'NONE',
            ...buildExpressions(
              { condition: allOf(CONDITION.exists, CONDITION.useIsDue), set: [`${ATTRIBUTE.lastUsedAt} = :usedAt`] },
              { ':usedAt': usedAt, ':notBefore': notBefore },
            ),
          }),
          { abortSignal: signal },
        ),
      () => undefined,
    );
  }
}
