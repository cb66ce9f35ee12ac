import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** Creates a table from its shared schema unless it exists, then waits until it is active. */
export async function ensureTable(client: DynamoDBClient, table: CreateTableCommandInput): Promise<'created' | 'existing'> {
  const tableName = table.TableName;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await client.send(new CreateTableCommand(table));
  } catch (error) {
    // Another process created it first: fine, it has the same schema.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
  return 'created';
}
