import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/**
 * Creates a table from its shared schema unless it exists, then waits until it is
 * active. A table made by an earlier version gets the indexes it lacks, one at a
 * time as DynamoDB allows.
 */
export async function ensureTable(client: DynamoDBClient, table: CreateTableCommandInput): Promise<'created' | 'existing'> {
  const tableName = table.TableName;
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  if (existing) {
    await addMissingIndexes(client, table, existing);
    return 'existing';
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

async function addMissingIndexes(client: DynamoDBClient, table: CreateTableCommandInput, existing: TableDescription) {
  const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of table.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    const keyNames = new Set(index.KeySchema?.map((key) => key.AttributeName));
    const create = (extra: object = {}) =>
      client.send(
        new UpdateTableCommand({
          TableName: table.TableName,
          AttributeDefinitions: table.AttributeDefinitions?.filter((definition) => keyNames.has(definition.AttributeName)),
          GlobalSecondaryIndexUpdates: [
            { Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection, ...extra } },
          ],
        }),
      );
    try {
      await create();
    } catch (error) {
      // dynalite knows no on-demand indexes: it wants a throughput, which DynamoDB refuses for an on-demand table.
      if (!(error instanceof Error && /provisionedThroughput/.test(error.message))) throw error;
      await create({ ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } });
    }
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: table.TableName });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table.TableName }));
    // dynalite accepts the update and ignores it.
    if (!Table?.GlobalSecondaryIndexes?.some(({ IndexName }) => IndexName === index.IndexName)) {
      throw new Error(
        `Table ${table.TableName} was made by an earlier version and lacks index ${index.IndexName}, which this DynamoDB cannot add; move its data aside to start afresh`,
      );
    }
  }
}
