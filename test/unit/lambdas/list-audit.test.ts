import '../../fixtures/handler-env';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/list-audit';
import type { AuditRecord } from '../../../src/domain/audit';
import { encodeAuditCursor } from '../../../src/domain/cursor';
import { awsError, mockAws, TABLE_NAME, TENANT_TABLE_NAME } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, consoleEvent, selfServiceEvent } from '../../fixtures/events';
import { keyRecord, testKeyId } from '../../fixtures/keys';
import { expectJson, expectProblem } from '../../fixtures/responses';

const aws = mockAws();
let output: CapturedOutput;
const keyId = testKeyId();

function recordOf(index: number): AuditRecord {
  const at = new Date(Date.UTC(2030, 0, 1, 0, index)).toISOString();
  const id = `aud_01JD5Z000000000000000000${String(index).padStart(2, '0')}`;
  return {
    id,
    tenantId: 'acme',
    at,
    actor: { type: 'key', keyId, keyName: 'Manager' },
    action: 'key.updated',
    keyId,
    keyName: 'b',
    changes: { name: { old: 'a', new: 'b' } },
    requestId: 'r',
    sourceIp: '192.0.2.1',
  };
}

/** A record as the log keeps it. */
function stored(index: number): AuditRecord & { sk: string; ttl: number } {
  const record = recordOf(index);
  return { ...record, sk: `audit#${record.at}#${record.id}`, ttl: 1_999_999_999 };
}

/** The log's answers; none waits in the tenant's keys or its own item unless a test says so. */
const logAnswers = (items: object[]) => aws.ddb.on(QueryCommand, { TableName: TENANT_TABLE_NAME }).resolves({ Items: items });
const logQueries = () => aws.ddb.commandCalls(QueryCommand).filter((call) => call.args[0].input.TableName === TENANT_TABLE_NAME);

beforeEach(() => {
  aws.reset();
  aws.ddb.on(QueryCommand, { TableName: TABLE_NAME }).resolves({ Items: [] });
  aws.ddb.on(GetCommand, { TableName: TENANT_TABLE_NAME }).resolves({});
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (query?: Record<string, string>, tenantId = 'acme') =>
  adminEvent({ method: 'GET', resource: '/tenants/{tenantId}/audit', pathParameters: { tenantId }, query });

describe('GET /tenants/{tenantId}/audit', () => {
  it("200 newest first, one Query of the tenant partition between the bounds, the store's own fields left out", async () => {
    logAnswers([stored(3), stored(2), stored(1)]);
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
    logAnswers([after, stored(1)]);
    const page = expectJson<{ items: AuditRecord[] }>(
      await handler(admin({ cursor: encodeAuditCursor('acme', { at: after.at, id: after.id }) })),
      200,
    );
    expect(page.items.map((record) => record.id)).toEqual([stored(1).id]);
    expect(logQueries()[0].args[0].input.ExpressionAttributeValues).toMatchObject({
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

  it("merges the records still waiting in the tenant's keys and in its own item, newest first, each once", async () => {
    logAnswers([stored(3), stored(2)]);
    aws.ddb
      .on(QueryCommand, { TableName: TABLE_NAME })
      .resolves({ Items: [keyRecord({ tenantId: 'acme', auditRecords: [recordOf(5)], auditPending: recordOf(5).at })] });
    // Delivered into the log a moment ago, and not yet taken out of the item: shown once.
    aws.ddb.on(GetCommand, { TableName: TENANT_TABLE_NAME }).resolves({
      Item: { tenantId: 'acme', sk: 'tenant', createdAt: '2029-01-01T00:00:00.000Z', auditRecords: [recordOf(3), recordOf(4)] },
    });
    const page = expectJson<{ items: AuditRecord[]; nextCursor: string | null }>(await handler(admin({ limit: '3' })), 200);
    expect(page.items.map((record) => record.id)).toEqual([recordOf(5).id, recordOf(4).id, recordOf(3).id]);
    expect(page.nextCursor).toBe(encodeAuditCursor('acme', { at: recordOf(3).at, id: recordOf(3).id }));
    expect(aws.ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE_NAME,
      IndexName: 'byTenant',
      ExpressionAttributeValues: { ':tenantId': 'acme' },
    });
  });

  it('reads a record made before names were recorded with null names, as the schema has them', async () => {
    const { keyName: _none, actor: _actor, ...legacy } = stored(1);
    logAnswers([{ ...legacy, actor: { type: 'key', keyId } }]);
    const page = expectJson<{ items: AuditRecord[] }>(await handler(admin()), 200);
    expect(page.items).toEqual([expect.objectContaining({ keyName: null, actor: { type: 'key', keyId, keyName: null } })]);
  });

  it('503 with Retry-After when the table cannot be read', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('ProvisionedThroughputExceededException', 'Rate exceeded'));
    expectProblem(await handler(admin()), 503);
  });
});

describe('GET /audit and GET /console/api/audit', () => {
  it("read the caller's own tenant, whatever the request says", async () => {
    logAnswers([]);
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
    const tenants = logQueries().map((call) => call.args[0].input.ExpressionAttributeValues?.[':tenantId']);
    expect(tenants).toEqual(['acme', 'globex']);
  });
});
