import type { KeyRecord } from '../domain/api-key';
import type { KeyStore } from '../domain/key-store';
import { allOf, buildExpressions, namePlaceholders, type RequestExpressions } from './expressions';
import { sendRequest } from './send-request';

/** A GetItem, its key and result as plain values (the document client's shapes). */
export interface GetItemRequest {
  TableName: string;
  Key: Record<string, unknown>;
  ConsistentRead: boolean;
}

/** An UpdateItem whose answer is not needed, its values as plain values. */
export type UpdateItemRequest = { TableName: string; Key: Record<string, unknown> } & RequestExpressions;

/**
 * The two DynamoDB calls of the key table's read path. The SDK's document client
 * carries them for the key store (DynamoKeyStore), and the small client
 * (small-dynamodb-client.ts) for the authorizer and POST /verify. Failures keep
 * the SDK's error names, so both are judged alike.
 */
export interface KeyTableTransport {
  getItem(request: GetItemRequest): Promise<Record<string, unknown> | undefined>;
  updateItem(request: UpdateItemRequest, signal?: AbortSignal): Promise<void>;
}

const ATTRIBUTE = namePlaceholders<'keyHash' | 'lastUsedAt'>(['keyHash', 'lastUsedAt']);

const CONDITION = {
  exists: `attribute_exists(${ATTRIBUTE.keyHash})`,
  /** lastUsedAt is absent or older than :notBefore. */
  useIsDue: `attribute_not_exists(${ATTRIBUTE.lastUsedAt}) OR ${ATTRIBUTE.lastUsedAt} < :notBefore`,
} as const;

/**
 * The key store's read path: the read by hash and the lastUsedAt write, all
 * that verifying a key needs of the table. It lives apart from DynamoKeyStore,
 * which uses it, because that module imports the SDK's document client, which
 * a bundle cannot leave out (the package does not declare itself free of side
 * effects), and the functions that verify keys must not load the SDK.
 */
export class KeyTableReads implements Pick<KeyStore, 'findByHash' | 'recordUse'> {
  constructor(
    private readonly transport: KeyTableTransport,
    private readonly tableName: string,
  ) {}

  async findByHash(keyHash: string): Promise<KeyRecord | undefined> {
    // Consistent, so a key revoked a moment ago is never read back as live.
    const item = await sendRequest(() =>
      this.transport.getItem({ TableName: this.tableName, Key: { keyHash }, ConsistentRead: true }),
    );
    return item as KeyRecord | undefined;
  }

  async recordUse(keyHash: string, usedAt: string, notBefore: string, signal?: AbortSignal): Promise<void> {
    // Touches only keyHash and lastUsedAt: the authorizer's IAM policy allows nothing else.
    await sendRequest(
      () =>
        this.transport.updateItem(
          {
            TableName: this.tableName,
            Key: { keyHash },
            ...buildExpressions(
              { condition: allOf(CONDITION.exists, CONDITION.useIsDue), set: [`${ATTRIBUTE.lastUsedAt} = :usedAt`] },
              { ':usedAt': usedAt, ':notBefore': notBefore },
            ),
          },
          signal,
        ),
      () => undefined,
    );
  }
}
