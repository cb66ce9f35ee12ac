import '../../fixtures/handler-env';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/list-audit';
import type { AuditRecord } from '../../../src/domain/audit';
import { encodeAuditCursor } from '../../../src/domain/cursor';
import { awsError, mockAws, TENANT_TABLE_NAME } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, consoleEvent, selfServiceEvent } from '../../fixtures/events';
import { testKeyId } from '../../fixtures/keys';
import { expectJson, expectProblem } from '../../fixtures/responses';

const aws = mockAws();
let output: CapturedOutput;
const keyId = testKeyId();

function stored(index: number): AuditRecord & { sk: string; ttl: number } {
  const at = new Date(Date.UTC(2030, 0, 1, 0, index)).toISOString();
  const id = `aud_01JD5Z000000000000000000${String(index).padStart(2, '0')}`;
  return {
    id,
    tenantId: 'acme',
    at,
    actor: { type: 'key', keyId },
    action: 'key.updated',
    keyId,
    changes: { name: { old: 'a', new: 'b' } },
    requestId: 'r',
    sourceIp: '192.0.2.1',
    sk: `audit#${at}#${id}`,
    ttl: 1_999_999_999,
  };
}

beforeEach(() => {
  aws.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (query?: Record<string, string>, tenantId = 'acme') =>
  adminEvent({ method: 'GET', resource: '/tenants/{tenantId}/audit', pathParameters: { tenantId }, query });

describe('GET /tenants/{tenantId}/audit', () => {
  it("200 newest first, one Query of the tenant partition between the bounds, the store's own fields left out", async () => {
    aws.ddb.on(QueryCommand).resolves({ Items: [stored(3), stored(2), stored(1)] });
    const page = expectJson<{ items: AuditRecord[]; nextCursor: string | null }>(
      await handler(admin({ limit: '2', keyId, from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00+00:00' })),
      200,
    );
    expect(page.items.map((record) => record.id)).toEqual([stored(3).id, stored(2).id]);
    expect(page.items[0]).not.toHaveProperty('sk');
    expect(page.items[0]).not.toHaveProperty('ttl');
    expect(page.nextCursor).toBe(encodeAuditCursor('acme', { at: stored(2).at, id: stored(2).id }));
    expect(aws.ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TENANT_TABLE_NAME,
      KeyConditionExpression: '#tenantId = :tenantId AND #sk BETWEEN :lowest AND :highest',
      FilterExpression: '#keyId = :keyId',
      ExpressionAttributeValues: {
        ':tenantId': 'acme',
        ':lowest': 'audit#2030-01-01T00:00:00.000Z',
        ':highest': 'audit#2030-01-02T00:00:00.000Z#~',
        ':keyId': keyId,
      },
      ScanIndexForward: false,
      Limit: 3,
    });
  });

  it('resumes below the cursor, and skips the record the last page ended on', async () => {
    const after = stored(2);
    aws.ddb.on(QueryCommand).resolves({ Items: [after, stored(1)] });
    const page = expectJson<{ items: AuditRecord[] }>(
      await handler(admin({ cursor: encodeAuditCursor('acme', { at: after.at, id: after.id }) })),
      200,
    );
    expect(page.items.map((record) => record.id)).toEqual([stored(1).id]);
    expect(aws.ddb.commandCalls(QueryCommand)[0].args[0].input.ExpressionAttributeValues).toMatchObject({
      ':highest': after.sk,
    });
  });

  it.each([
    [{ cursor: encodeAuditCursor('globex', { at: stored(1).at, id: stored(1).id }) }, 'cursor'],
    [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' }, 'to'],
    [{ keyId: 'key_' }, 'keyId'],
    [{ limit: '101' }, 'limit'],
    [{ colour: 'red' }, 'query'],
  ])('400 for %p, reading nothing', async (query, path) => {
    const problem = expectProblem(await handler(admin(query)), 400, { errors: true });
    expect(problem.errors?.map((error) => error.path)).toEqual([path]);
    expect(aws.ddb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('503 with Retry-After when the table cannot be read', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    expectProblem(await handler(admin()), 503);
  });
});

describe('GET /audit and GET /console/api/audit', () => {
  it("read the caller's own tenant, whatever the request says", async () => {
    aws.ddb.on(QueryCommand).resolves({ Items: [] });
    const self = selfServiceEvent({
      method: 'GET',
      resource: '/audit',
      apiKey: 'ak_unused',
      authorizer: { tenantId: 'acme', keyId, keyName: 'caller', scopes: 'keys:manage' },
    });
    const user = consoleEvent({
      method: 'GET',
      resource: '/console/api/audit',
      authorizer: { tenantId: 'globex', sub: 'u-1', email: 'a@globex.example', scopes: '' },
    });
    expect(expectJson(await handler(self), 200)).toEqual({ items: [], nextCursor: null });
    expect(expectJson(await handler(user), 200)).toEqual({ items: [], nextCursor: null });
    const tenants = aws.ddb.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues?.[':tenantId']);
    expect(tenants).toEqual(['acme', 'globex']);
  });
});
