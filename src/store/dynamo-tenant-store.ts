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
import type { AuditLog, AuditPage, AuditQuery, AuditReader, AuditRecord, WaitingAuditReader } from '../domain/audit';
import { ConcurrentChangeError, UsagePlansUnavailableError } from '../domain/errors';
import type { IdempotencyClaim, IdempotencyRecords, IdempotentRequest } from '../domain/idempotency';
import type { CachedSigningKeys, PublishedKey, SigningKeysCache } from '../domain/signing-keys';
import type { PlanMove, TenantRecord, TenantRecords } from '../domain/tenants';
import { allOf, buildExpressions, type ExpressionParts, namePlaceholders } from './expressions';
import { sendRequest } from './send-request';
import { TENANT_TABLE } from './table-schema';
import { appendRecords, holdsExactly, itemsWaitingSince, MAX_SETTLE_ATTEMPTS, settledClauses } from './waiting-records';

/** An idempotent request as the table keeps it. The client's key itself is not stored, only a digest. */
interface IdempotencyItem {
  tenantId: string;
  sk: string;
  fingerprint: string;
  keyId: string;
  state: 'started' | 'done';
  leaseUntil: string;
  ttl: number;
}

const ATTRIBUTE = namePlaceholders<keyof IdempotencyItem>([
  'tenantId',
  'sk',
  'fingerprint',
  'keyId',
  'state',
  'leaseUntil',
  'ttl',
]);

const CONDITION = {
  isNewItem: `attribute_not_exists(${ATTRIBUTE.sk})`,
  exists: `attribute_exists(${ATTRIBUTE.sk})`,
  /** The claim is still the one that was read: taking it over races no one. */
  isLeasedUntil: `${ATTRIBUTE.leaseUntil} = :leaseUntil`,
  isStarted: `${ATTRIBUTE.state} = :started`,
  /** The record is still the one that was read: replacing an expired one races no one. */
  expiresAt: `${ATTRIBUTE.ttl} = :ttl`,
} as const;

/** A tenant's own item: its plan and its API Gateway API key. */
interface TenantItem {
  tenantId: string;
  sk: typeof TENANT_SORT_KEY;
  createdAt: string;
  plan?: string;
  usageKeyId?: string;
  usagePlan?: string;
  /** Set while a request arranges the tenant's usage plan. */
  arrangementLeaseUntil?: string;
  /** The records of its plan changes until they are delivered, each written with its change (src/store/waiting-records.ts). */
  auditRecords?: AuditRecord[];
  auditPending?: string;
}

const TENANT_SORT_KEY = 'tenant';
/** A tenant's plan changes are few: a change beyond this many waiting records (delivery has stopped) is refused. */
const MAX_WAITING_RECORDS = 10;

const TENANT_ATTRIBUTE = namePlaceholders<keyof TenantItem>([
  'tenantId',
  'sk',
  'createdAt',
  'plan',
  'usageKeyId',
  'usagePlan',
  'arrangementLeaseUntil',
  'auditPending',
]);

const TENANT_CONDITION = {
  isFree: `attribute_not_exists(${TENANT_ATTRIBUTE.arrangementLeaseUntil}) OR ${TENANT_ATTRIBUTE.arrangementLeaseUntil} < :now`,
  isLeasedUntil: `${TENANT_ATTRIBUTE.arrangementLeaseUntil} = :leaseUntil`,
} as const;

/** A tenant's own item (from a read, or a stream's image) as the domain reads it; undefined for any other item of the table. */
export function tenantRecordOf(item: Record<string, unknown>): TenantRecord | undefined {
  if (item.sk !== TENANT_SORT_KEY) return undefined;
  const tenant = item as unknown as TenantItem;
  return {
    tenantId: tenant.tenantId,
    createdAt: tenant.createdAt,
    ...(tenant.plan !== undefined ? { plan: tenant.plan } : {}),
    ...(tenant.usageKeyId !== undefined && tenant.usagePlan !== undefined
      ? { usageKey: { id: tenant.usageKeyId, plan: tenant.usagePlan } }
      : {}),
    ...(tenant.auditRecords !== undefined ? { auditRecords: tenant.auditRecords } : {}),
  };
}

/**
 * Every tenant's plan move note is an item of one partition of its own, so the
 * reconciler finds them all with one Query: its key is no tenant id (those start
 * with a letter or digit), and the sort key is the tenant's.
 */
const PLAN_MOVES_PARTITION = '#plan-moves';

/** A plan move note as the table keeps it. */
type PlanMoveItem = Omit<PlanMove, 'tenantId'> & { tenantId: typeof PLAN_MOVES_PARTITION; sk: string };

const PLAN_MOVE_ATTRIBUTE = namePlaceholders<keyof PlanMoveItem>(['tenantId']);

/**
 * The signing keys a publisher signs payloads with (GitHub's secret scanning), kept
 * for every function environment: one item of a partition no tenant id can name.
 */
const SIGNING_KEYS_PARTITION = '#signing-keys';

/** The signing keys as the table keeps them. */
type SigningKeysItem = { tenantId: typeof SIGNING_KEYS_PARTITION; sk: string; keys?: PublishedKey[] } & Partial<
  Pick<CachedSigningKeys, 'fetchedAt' | 'triedAt'>
>;

const SIGNING_KEYS_ATTRIBUTE = namePlaceholders<keyof SigningKeysItem>(['keys', 'fetchedAt', 'triedAt']);

/** An audit record as the table keeps it: the record's own fields, its place in the tenant's partition, its expiry. */
type AuditItem = AuditRecord & { sk: string; ttl: number };

const AUDIT_ATTRIBUTE = namePlaceholders<keyof AuditItem>(['tenantId', 'sk', 'keyId']);
const AUDIT_PREFIX = 'audit#';
/** Sorts after every `#{id}` suffix of the same instant. */
const AFTER_ANY_ID = '#~';

/** `audit#{at}#{id}`: a tenant's records sort by time, and records of one instant by id. */
function auditSortKey(record: Pick<AuditRecord, 'at' | 'id'>): string {
  return `${AUDIT_PREFIX}${record.at}#${record.id}`;
}

/** A record as the log holds it, in today's shape: one written before names were recorded names none (null). */
function recordAsRead(record: AuditRecord): AuditRecord {
  const actor = record.actor.type === 'key' ? { ...record.actor, keyName: record.actor.keyName ?? null } : record.actor;
  return { ...record, actor, keyName: record.keyName ?? null };
}

function sortKeyOf(requestId: string): string {
  return `idempotency#${requestId}`;
}

/** The tenant table's store: the only code that reads or writes it. */
export class DynamoTenantStore implements IdempotencyRecords, TenantRecords, AuditLog, AuditReader, WaitingAuditReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(
    request: IdempotentRequest,
    keyId: string,
    times: { now: string; leaseUntil: string; expiresAt: string },
  ): Promise<IdempotencyClaim> {
    const item: IdempotencyItem = {
      tenantId: request.tenantId,
      sk: sortKeyOf(request.id),
      fingerprint: request.fingerprint,
      keyId,
      state: 'started',
      leaseUntil: times.leaseUntil,
      ttl: Math.ceil(Date.parse(times.expiresAt) / 1000),
    };
    if (await this.put(item, CONDITION.isNewItem, {})) return { outcome: 'claimed' };
    const existing = await this.get(request.tenantId, item.sk);
    if (!existing) return { outcome: 'inProgress' }; // it was there a moment ago: another attempt is at work
    // The SDK retried a PutItem whose first attempt had landed: the record is this claim's own.
    if (existing.keyId === keyId && existing.leaseUntil === times.leaseUntil) return { outcome: 'claimed' };
    // DynamoDB's TTL deletes lazily: an expired record is as good as none.
    if (existing.ttl * 1000 <= Date.parse(times.now)) {
      return (await this.put(item, CONDITION.expiresAt, { ':ttl': existing.ttl }))
        ? { outcome: 'claimed' }
        : { outcome: 'inProgress' };
    }
    if (existing.fingerprint !== request.fingerprint) return { outcome: 'mismatch' };
    if (existing.state === 'done') return { outcome: 'completed', keyId: existing.keyId };
    if (Date.parse(existing.leaseUntil) > Date.parse(times.now)) return { outcome: 'inProgress', keyId: existing.keyId };
    const takenOver = await sendRequest(
      async () => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { tenantId: request.tenantId, sk: item.sk },
            ...buildExpressions(
              { condition: CONDITION.isLeasedUntil, set: [`${ATTRIBUTE.leaseUntil} = :newLease`] },
              { ':leaseUntil': existing.leaseUntil, ':newLease': times.leaseUntil },
            ),
          }),
        );
        return true;
      },
      () => false,
    );
    return takenOver ? { outcome: 'resumable', keyId: existing.keyId } : { outcome: 'inProgress' };
  }

  async complete(tenantId: string, requestId: string): Promise<void> {
    await sendRequest(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { tenantId, sk: sortKeyOf(requestId) },
            ...buildExpressions({ condition: CONDITION.exists, set: [`${ATTRIBUTE.state} = :done`] }, { ':done': 'done' }),
          }),
        ),
      // Expired and removed by its TTL: there is nothing left to complete.
      () => undefined,
    );
  }

  async release(request: IdempotentRequest, leaseUntil: string): Promise<void> {
    await sendRequest(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { tenantId: request.tenantId, sk: sortKeyOf(request.id) },
            ...buildExpressions(
              {
                condition: CONDITION.isLeasedUntil,
                set: [`${ATTRIBUTE.leaseUntil} = :released`, `${ATTRIBUTE.state} = :started`],
              },
              { ':started': 'started', ':leaseUntil': leaseUntil, ':released': new Date(0).toISOString() },
            ),
          }),
        ),
      // Another attempt took the claim over: it is no longer this one's to release.
      () => undefined,
    );
  }

  async getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    const item = await this.get<TenantItem>(tenantId, TENANT_SORT_KEY);
    return item ? tenantRecordOf(item as unknown as Record<string, unknown>) : undefined;
  }

  async claimArrangement(tenantId: string, times: { now: string; leaseUntil: string }): Promise<boolean> {
    const claimed = await this.updateTenant(
      tenantId,
      {
        condition: TENANT_CONDITION.isFree,
        set: [
          `${TENANT_ATTRIBUTE.createdAt} = if_not_exists(${TENANT_ATTRIBUTE.createdAt}, :now)`,
          `${TENANT_ATTRIBUTE.arrangementLeaseUntil} = :leaseUntil`,
        ],
      },
      { ':now': times.now, ':leaseUntil': times.leaseUntil },
    );
    if (claimed) return true;
    // The SDK retried an update whose first attempt had landed: the lease is this claim's own.
    const item = await this.get<TenantItem>(tenantId, TENANT_SORT_KEY);
    return item?.arrangementLeaseUntil === times.leaseUntil;
  }

  async completeArrangement(
    tenantId: string,
    leaseUntil: string,
    outcome: { usageKey: { id: string; plan: string }; plan?: string; record?: AuditRecord },
  ): Promise<void> {
    const set = [`${TENANT_ATTRIBUTE.usageKeyId} = :usageKeyId`, `${TENANT_ATTRIBUTE.usagePlan} = :usagePlan`];
    const conditions: string[] = [TENANT_CONDITION.isLeasedUntil];
    const values: Record<string, unknown> = {
      ':leaseUntil': leaseUntil,
      ':usageKeyId': outcome.usageKey.id,
      ':usagePlan': outcome.usageKey.plan,
    };
    if (outcome.plan !== undefined) {
      set.push(`${TENANT_ATTRIBUTE.plan} = :plan`);
      values[':plan'] = outcome.plan;
    }
    if (outcome.record !== undefined) {
      const recording = appendRecords([outcome.record], MAX_WAITING_RECORDS);
      set.push(...recording.set);
      conditions.push(recording.condition);
      Object.assign(values, recording.values);
    }
    const written = await this.updateTenant(
      tenantId,
      { condition: allOf(...conditions), set, remove: [TENANT_ATTRIBUTE.arrangementLeaseUntil] },
      values,
    );
    if (written) return;
    // Either a retried update whose first attempt landed, or a lease that ran out and was taken over.
    const item = await this.get<TenantItem>(tenantId, TENANT_SORT_KEY);
    const landed =
      item?.arrangementLeaseUntil === undefined &&
      item?.usageKeyId === outcome.usageKey.id &&
      item.usagePlan === outcome.usageKey.plan &&
      (outcome.plan === undefined || item.plan === outcome.plan) &&
      (outcome.record === undefined || item.auditRecords?.some((record) => record.id === outcome.record?.id) === true);
    if (!landed) throw new UsagePlansUnavailableError("The tenant's usage plan changed while this request set it up; retry.");
  }

  async releaseArrangement(tenantId: string, leaseUntil: string): Promise<void> {
    // Refused when another request took the lease over: it is no longer this one's to give up.
    await this.updateTenant(
      tenantId,
      { condition: TENANT_CONDITION.isLeasedUntil, remove: [TENANT_ATTRIBUTE.arrangementLeaseUntil] },
      { ':leaseUntil': leaseUntil },
    );
  }

  async settleAudit(tenantId: string, auditIds: readonly string[]): Promise<void> {
    for (let attempt = 1; attempt <= MAX_SETTLE_ATTEMPTS; attempt++) {
      const waiting = (await this.get<TenantItem>(tenantId, TENANT_SORT_KEY))?.auditRecords ?? [];
      const remaining = waiting.filter((record) => !auditIds.includes(record.id));
      // Already settled, by another delivery of the same records: nothing to do.
      if (remaining.length === waiting.length) return;
      const unchanged = holdsExactly(waiting);
      const settledTo = settledClauses(remaining);
      const settled = await this.updateTenant(
        tenantId,
        { condition: unchanged.condition, set: settledTo.set, remove: settledTo.remove },
        { ...unchanged.values, ...settledTo.values },
      );
      if (settled) return;
    }
    throw new ConcurrentChangeError();
  }

  pendingAudits(before: string): Promise<TenantRecord[]> {
    return itemsWaitingSince(
      this.client,
      { tableName: this.tableName, indexName: TENANT_TABLE.pendingAuditIndex.name, partitionKey: TENANT_TABLE.partitionKey },
      before,
      (tenantId) => this.getTenant(tenantId),
    );
  }

  async waitingRecords(tenantId: string): Promise<AuditRecord[]> {
    return (await this.getTenant(tenantId))?.auditRecords ?? [];
  }

  async beginPlanMove(move: PlanMove): Promise<void> {
    const { tenantId, ...rest } = move;
    const item: PlanMoveItem = { ...rest, tenantId: PLAN_MOVES_PARTITION, sk: tenantId };
    await sendRequest(() => this.client.send(new PutCommand({ TableName: this.tableName, Item: item })));
  }

  async endPlanMove(tenantId: string): Promise<void> {
    await sendRequest(() =>
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { tenantId: PLAN_MOVES_PARTITION, sk: tenantId } })),
    );
  }

  planMoves(): Promise<PlanMove[]> {
    return sendRequest(async () => {
      const moves: PlanMove[] = [];
      const pages = paginateQuery(
        { client: this.client },
        {
          TableName: this.tableName,
          ...buildExpressions(
            { keyCondition: `${PLAN_MOVE_ATTRIBUTE.tenantId} = :partition` },
            { ':partition': PLAN_MOVES_PARTITION },
          ),
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const { sk, tenantId: _partition, ...move } of (page.Items ?? []) as PlanMoveItem[]) {
          moves.push({ ...move, tenantId: sk });
        }
      }
      return moves;
    });
  }

  /** The shared cache of one publisher's signing keys (`github`): see src/domain/signing-keys.ts. */
  signingKeysCache(publisher: string): SigningKeysCache {
    const Key = { tenantId: SIGNING_KEYS_PARTITION, sk: publisher };
    const { keys, fetchedAt, triedAt } = SIGNING_KEYS_ATTRIBUTE;
    return {
      read: async () => {
        const item = await this.get<SigningKeysItem>(Key.tenantId, Key.sk);
        if (!item?.triedAt) return undefined;
        return { keys: item.keys ?? [], fetchedAt: item.fetchedAt ?? null, triedAt: item.triedAt };
      },
      claimFetch: (now, triedAfter) =>
        sendRequest(
          async () => {
            await this.client.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key,
                ...buildExpressions(
                  { condition: `attribute_not_exists(${triedAt}) OR ${triedAt} <= :triedAfter`, set: [`${triedAt} = :now`] },
                  { ':now': now, ':triedAfter': triedAfter },
                ),
              }),
            );
            return true;
          },
          () => false,
        ),
      save: async (published, at) => {
        await sendRequest(() =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key,
              ...buildExpressions(
                { set: [`${keys} = :keys`, `${fetchedAt} = :fetchedAt`] },
                { ':keys': published, ':fetchedAt': at },
              ),
            }),
          ),
        );
      },
    };
  }

  /** An UpdateItem of the tenant's own item: false when its condition does not hold. */
  private async updateTenant(tenantId: string, parts: ExpressionParts, values: Record<string, unknown>): Promise<boolean> {
    return sendRequest(
      async () => {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { tenantId, sk: TENANT_SORT_KEY },
            ...buildExpressions(parts, values),
          }),
        );
        return true;
      },
      () => false,
    );
  }

  /** The same record written again is the same item: appending is idempotent. */
  async append(record: AuditRecord, expiresAt: number): Promise<void> {
    const item: AuditItem = { ...record, sk: auditSortKey(record), ttl: expiresAt };
    await sendRequest(() => this.client.send(new PutCommand({ TableName: this.tableName, Item: item })));
  }

  async list(tenantId: string, query: AuditQuery): Promise<AuditPage> {
    // Instants are ISO text of one length, so their order as text is their order in time.
    const lowest = `${AUDIT_PREFIX}${query.from ?? ''}`;
    const highest = query.after ? auditSortKey(query.after) : `${AUDIT_PREFIX}${query.to ?? '~'}${AFTER_ANY_ID}`;
    const values: Record<string, unknown> = { ':tenantId': tenantId, ':lowest': lowest, ':highest': highest };
    if (query.keyId !== undefined) values[':keyId'] = query.keyId;
    const expressions = buildExpressions(
      {
        keyCondition: `${AUDIT_ATTRIBUTE.tenantId} = :tenantId AND ${AUDIT_ATTRIBUTE.sk} BETWEEN :lowest AND :highest`,
        filter: query.keyId === undefined ? undefined : `${AUDIT_ATTRIBUTE.keyId} = :keyId`,
      },
      values,
    );
    const wanted = query.limit + 1;
    const items: AuditItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result: QueryCommandOutput = await sendRequest(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            ...expressions,
            ScanIndexForward: false,
            Limit: wanted - items.length,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      // BETWEEN includes its bounds: the record a page ended on is not read again.
      items.push(...((result.Items ?? []) as AuditItem[]).filter((item) => item.sk !== highest || !query.after));
      startKey = result.LastEvaluatedKey;
    } while (startKey && items.length < wanted);
    const records = items.map(({ sk: _sk, ttl: _ttl, ...record }) => recordAsRead(record));
    if (records.length <= query.limit) return { items: records };
    const page = records.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page, next: { at: last.at, id: last.id } };
  }

  private async put(item: IdempotencyItem, condition: string, values: Record<string, unknown>): Promise<boolean> {
    return sendRequest(
      async () => {
        await this.client.send(
          new PutCommand({ TableName: this.tableName, Item: item, ...buildExpressions({ condition }, values) }),
        );
        return true;
      },
      () => false,
    );
  }

  private async get<Item = IdempotencyItem>(tenantId: string, sk: string): Promise<Item | undefined> {
    const result = await sendRequest(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { tenantId, sk }, ConsistentRead: true })),
    );
    return result.Item as Item | undefined;
  }
}
