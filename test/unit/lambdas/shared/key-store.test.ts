import type { APIGatewayProxyResult } from 'aws-lambda';
import { preparedTenant, setHandlerEnv } from '../../../fixtures/aws';
import { adminEvent } from '../../../fixtures/events';

/** Loads a handler module afresh, as a Lambda starts, with DynamoDB mocked in that fresh module registry. */
function loadFresh(entry: string): { handler: (event: unknown) => Promise<APIGatewayProxyResult>; puts: () => unknown[] } {
  let loaded!: ReturnType<typeof loadFresh>;
  jest.isolateModules(() => {
    const { mockClient } = require('aws-sdk-client-mock') as typeof import('aws-sdk-client-mock');
    const { DynamoDBDocumentClient, GetCommand, PutCommand } =
      require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
    const ddb = mockClient(DynamoDBDocumentClient);
    ddb.on(PutCommand).resolves({});
    // The tenant's keys count against its plan already: no API Gateway call.
    ddb.on(GetCommand).resolves({ Item: preparedTenant('acme') });
    const { handler } = require(`../../../../lambdas/${entry}`) as {
      handler: (event: unknown) => Promise<APIGatewayProxyResult>;
    };
    loaded = { handler, puts: () => ddb.commandCalls(PutCommand).map((call) => call.args[0].input) };
  });
  return loaded;
}

const create = adminEvent({
  method: 'POST',
  resource: '/tenants/{tenantId}/keys',
  pathParameters: { tenantId: 'acme' },
  body: { name: 'n' },
});

afterEach(() => setHandlerEnv());

describe('a function reads its settings when it starts', () => {
  it('without TABLE_NAME, handlers and the authorizer fail to start, as a Lambda reports an init error', () => {
    setHandlerEnv({ TABLE_NAME: undefined });
    expect(() => loadFresh('create-key')).toThrow(/TABLE_NAME is not set/);
    expect(() => loadFresh('authorizer')).toThrow(/TABLE_NAME is not set/);
  });

  it('functions that issue keys need KEY_PREFIX; others do not', () => {
    setHandlerEnv({ KEY_PREFIX: undefined });
    expect(() => loadFresh('create-key')).toThrow(/KEY_PREFIX is not set/);
    expect(() => loadFresh('rotate-key')).toThrow(/KEY_PREFIX is not set/);
    expect(() => loadFresh('delete-key')).not.toThrow();
  });

  it('uses the table and prefix it started with', async () => {
    setHandlerEnv({ TABLE_NAME: 'started-with', KEY_PREFIX: 'zk_live' });
    const { handler, puts } = loadFresh('create-key');
    setHandlerEnv({ TABLE_NAME: 'changed-later', KEY_PREFIX: 'zk_test' });
    const result = await handler(create);
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body).key).toMatch(/^zk_live_[0-9A-Za-z]{38}$/);
    expect(puts()).toEqual([expect.objectContaining({ TableName: 'started-with' })]);
  });
});
