import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { ttlFor, type KeyRecord } from '../domain/api-key';
import { ConcurrentChangeError, StoreConflictError, StoreUnavailableError } from '../domain/errors';
import type { KeyChanges, KeyPage, KeyStateGuard, KeyStore, PagePosition } from '../domain/key-store';
import { KEY_TABLE } from './table-schema';

const { partitionKey, byTenantIndex } = KEY_TABLE;

/** Error names DynamoDB uses for throttling and transient server faults. */
const TRANSIENT_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const RETRY_AFTER_SECONDS = 1;

/** This tenant's key with this id: the lookup by id, and the guard on writes made after it. */
const OWNED_BY = '#tenant = :tenant AND #id = :id';
const ownedByNames = () => ({ '#tenant': byTenantIndex.partitionKey, '#id': byTenantIndex.sortKey });
const ownedByValues = (tenantId: string, keyId: string) => ({ ':tenant': tenantId, ':id': keyId });

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { name, code, $metadata } = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    TRANSIENT_ERROR_NAMES.has(name) ||
    (code !== undefined && NETWORK_ERROR_CODES.has(code)) ||
    ($metadata?.httpStatusCode !== undefined && $metadata.httpStatusCode >= 500)
  );
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Bounds on one DynamoDB call, retries included: 3 attempts of at most 1.5 s
 * plus back-off stay under 5 s, the authorizer's timeout, and a handler's few
 * calls stay well under API Gateway's 29 s integration limit.
 */
export const DYNAMODB_CALL_LIMITS = { maxAttempts: 3, connectionTimeoutMs: 500, requestTimeoutMs: 1_000 } as const;

/** A document client; endpoint, region and credentials come from the SDK's standard configuration. */
export function createDocumentClient(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts: DYNAMODB_CALL_LIMITS.maxAttempts,
    requestHandler: {
      connectionTimeout: DYNAMODB_CALL_LIMITS.connectionTimeoutMs,
      requestTimeout: DYNAMODB_CALL_LIMITS.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes, and the call hangs on.
      throwOnRequestTimeout: true,
    },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The only code that talks to DynamoDB. */
export class DynamoKeyStore implements KeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: KeyRecord): Promise<void> {
    await this.send(
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: record,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': partitionKey },
          }),
        ),
      () => {
        throw new StoreConflictError('A key with this hash already exists.');
      },
    );
  }

  async findByHash(keyHash: string): Promise<KeyRecord | undefined> {
    // Consistent, so a key revoked a moment ago is never read back as live.
    const result = await this.send(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { [partitionKey]: keyHash }, ConsistentRead: true })),
    );
    return result.Item as KeyRecord | undefined;
  }

  async findById(tenantId: string, keyId: string): Promise<KeyRecord | undefined> {
    const result = await this.send(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byTenantIndex.name,
          KeyConditionExpression: OWNED_BY,
          ExpressionAttributeNames: ownedByNames(),
          ExpressionAttributeValues: ownedByValues(tenantId, keyId),
        }),
      ),
    );
    return result.Items?.[0] as KeyRecord | undefined;
  }

  async list(tenantId: string, limit: number, after?: PagePosition): Promise<KeyPage> {
    // Read one item past the page, so `next` is set only when another page really exists.
    const wanted = limit + 1;
    const items: KeyRecord[] = [];
    // Resuming is a key condition on the sort key, so a cursor never needs a key hash.
    const names: Record<string, string> = { '#tenant': byTenantIndex.partitionKey };
    const values: Record<string, string> = { ':tenant': tenantId };
    if (after) {
      names['#id'] = byTenantIndex.sortKey;
      values[':after'] = after.keyId;
    }
    let startKey: Record<string, unknown> | undefined;
    do {
      const result: QueryCommandOutput = await this.send(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: byTenantIndex.name,
            KeyConditionExpression: after ? '#tenant = :tenant AND #id < :after' : '#tenant = :tenant',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
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
    const last = page[page.length - 1];
    return { items: page, next: { keyId: last.keyId } };
  }

  async update(tenantId: string, keyId: string, changes: KeyChanges, guard?: KeyStateGuard): Promise<KeyRecord | undefined> {
    const existing = await this.findById(tenantId, keyId);
    if (!existing) return undefined;

    const names: Record<string, string> = ownedByNames();
    const values: Record<string, unknown> = ownedByValues(tenantId, keyId);
    // Guards against the key being deleted (or the item replaced) since the lookup.
    const conditions = [OWNED_BY];
    if (guard) {
      Object.assign(names, { '#enabled': 'enabled', '#scopes': 'scopes', '#expiresAt': 'expiresAt' });
      Object.assign(values, { ':wasEnabled': guard.enabled, ':scopeCount': guard.scopes.length });
      conditions.push('#enabled = :wasEnabled', 'size(#scopes) = :scopeCount');
      // Scopes are distinct, so the same count and each one present is the same set.
      // (Membership rather than list equality, which dynalite does not compare.)
      guard.scopes.forEach((scope, index) => {
        values[`:scope${index}`] = scope;
        conditions.push(`contains(#scopes, :scope${index})`);
      });
      if (guard.expiresAt === null) conditions.push('attribute_not_exists(#expiresAt)');
      else {
        values[':wasExpiresAt'] = guard.expiresAt;
        conditions.push('#expiresAt = :wasExpiresAt');
      }
    }
    const sets: string[] = [];
    const removes: string[] = [];
    const set = (attribute: string, value: unknown) => {
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      sets.push(`#${attribute} = :${attribute}`);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.scopes !== undefined) set('scopes', changes.scopes);
    if (changes.enabled !== undefined) set('enabled', changes.enabled);
    if (changes.expiresAt === null) {
      names['#expiresAt'] = 'expiresAt';
      names['#ttl'] = KEY_TABLE.ttlAttribute;
      removes.push('#expiresAt', '#ttl');
    } else if (changes.expiresAt !== undefined) {
      set('expiresAt', changes.expiresAt);
      names['#ttl'] = KEY_TABLE.ttlAttribute;
      values[':ttl'] = ttlFor(changes.expiresAt);
      sets.push('#ttl = :ttl');
    }
    if (sets.length === 0 && removes.length === 0) return existing;

    const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
    const result = await this.send(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [partitionKey]: existing.keyHash },
            UpdateExpression: expression,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      () => {
        if (guard) throw new ConcurrentChangeError();
        return undefined;
      },
    );
    return result?.Attributes as KeyRecord | undefined;
  }

  async delete(tenantId: string, keyId: string): Promise<KeyRecord | undefined> {
    const existing = await this.findById(tenantId, keyId);
    if (!existing) return undefined;
    const result = await this.send(
      () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { [partitionKey]: existing.keyHash },
            ConditionExpression: OWNED_BY,
            ExpressionAttributeNames: ownedByNames(),
            ExpressionAttributeValues: ownedByValues(tenantId, keyId),
            ReturnValues: 'ALL_OLD',
          }),
        ),
      () => undefined,
    );
    return result?.Attributes as KeyRecord | undefined;
  }

  async recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void> {
    // Touches only keyHash and lastUsedAt: the authorizer's IAM policy allows nothing else.
    await this.send(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [partitionKey]: keyHash },
            UpdateExpression: 'SET #lastUsedAt = :usedAt',
            ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#lastUsedAt) OR #lastUsedAt < :notBefore)',
            ExpressionAttributeNames: { '#pk': partitionKey, '#lastUsedAt': 'lastUsedAt' },
            ExpressionAttributeValues: { ':usedAt': usedAt, ':notBefore': notBefore },
            ReturnValues: 'NONE',
          }),
          { abortSignal: signal },
        ),
      () => undefined,
    );
  }

  /** Runs one request, turning DynamoDB's failures into the domain's typed errors. */
  private async send<T, F = never>(request: () => Promise<T>, onConditionFailure?: () => F): Promise<T | F> {
    try {
      return await request();
    } catch (error) {
      if (onConditionFailure && isConditionFailure(error)) return onConditionFailure();
      if (isTransient(error)) throw new StoreUnavailableError(RETRY_AFTER_SECONDS, { cause: error });
      throw error;
    }
  }
}
