import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type AwsService,
  clientSettingsFromEnvironment,
  jsonOperation,
  SmallAwsClient,
  type SmallClientSettings,
} from '../aws/small-aws-client';
import type { GetItemRequest, KeyTableTransport, UpdateItemRequest } from './key-table-reads';

/**
 * The small DynamoDB client, for the two calls of the key table's read path
 * (GetItem and the lastUsedAt UpdateItem), over the small AWS client (SigV4 by
 * the SDK's own signer over node:https with keep-alive, and the SDK's standard
 * retry mode). The authorizer and POST /verify use it instead of the AWS SDK,
 * whose DynamoDB client is most of what they would otherwise load and run
 * (docs/performance.md).
 */

const DYNAMODB: AwsService = { signingName: 'dynamodb', endpointId: 'DYNAMODB', hostPrefix: 'dynamodb' };

/** DynamoDB's JSON protocol, version 2012-08-10. */
const GET_ITEM = jsonOperation<object, { Item?: Record<string, never> }>('DynamoDB_20120810.GetItem', '1.0');
const UPDATE_ITEM = jsonOperation<object, unknown>('DynamoDB_20120810.UpdateItem', '1.0');

/** DynamoDB's settings as the SDK would read them from the environment (see clientSettingsFromEnvironment). */
export function smallClientSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): SmallClientSettings {
  return clientSettingsFromEnvironment(DYNAMODB, env);
}

export class SmallDynamoDbClient implements KeyTableTransport {
  private readonly client: SmallAwsClient;

  constructor(settings: SmallClientSettings) {
    this.client = new SmallAwsClient(DYNAMODB.signingName, settings);
  }

  async getItem(request: GetItemRequest): Promise<Record<string, unknown> | undefined> {
    const answer = await this.client.send(GET_ITEM, { ...request, Key: marshall(request.Key) });
    return answer.Item === undefined ? undefined : unmarshall(answer.Item);
  }

  async updateItem(request: UpdateItemRequest, signal?: AbortSignal): Promise<void> {
    const values = request.ExpressionAttributeValues;
    await this.client.send(
      UPDATE_ITEM,
      {
        ...request,
        Key: marshall(request.Key),
        ...(values === undefined ? {} : { ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }) }),
      },
      signal,
    );
  }

  /** Closes the connections kept alive; a later call opens new ones. */
  destroy(): Promise<void> {
    return this.client.destroy();
  }
}
