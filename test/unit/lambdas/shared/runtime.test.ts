import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { FakeTable, mockAws, setHandlerEnv } from '../../../fixtures/aws';
import { captureOutput, type CapturedOutput } from '../../../fixtures/capture-output';
import { adminEvent, authorizerEvent } from '../../../fixtures/events';
import { handler as createKey } from '../../../../lambdas/create-key';
import { handler as authorize } from '../../../../lambdas/authorizer';
import { keyService } from '../../../../lambdas/shared/runtime';

// TABLE_NAME is missing at first; KEY_PREFIX names a non-default prefix.
setHandlerEnv({ TABLE_NAME: undefined, KEY_PREFIX: 'zk_live' });
const aws = mockAws();
let output: CapturedOutput;
beforeEach(() => {
  aws.reset();
  new FakeTable(aws.ddb);
  output = captureOutput();
});
afterEach(() => output.restore());

const create = () => createKey(adminEvent({ method: 'POST', resource: '/tenants/{tenantId}/keys', pathParameters: { tenantId: 'acme' }, body: { name: 'n' } }));

describe('runtime', () => {
  it('without TABLE_NAME: handlers answer 500 and the authorizer fails closed (not Unauthorized)', async () => {
    expect((await create()).statusCode).toBe(500);
    await expect(authorize(authorizerEvent({ apiKey: 'ak_whatever' }))).rejects.toThrow(/TABLE_NAME/);
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it('builds one service, lazily, from TABLE_NAME and KEY_PREFIX', async () => {
    setHandlerEnv({ TABLE_NAME: 'late-table', KEY_PREFIX: 'zk_live' });
    const result = await create();
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body).key).toMatch(/^zk_live_[0-9A-Za-z]{38}$/);
    expect(aws.ddb).toHaveReceivedCommandWith(PutCommand, { TableName: 'late-table' });
    expect(keyService()).toBe(keyService());
  });
});
