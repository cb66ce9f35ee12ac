import '../../fixtures/handler-env';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/delete-key';
import { awsError, FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, selfServiceEvent } from '../../fixtures/events';
import { keyRecord, testKeyId } from '../../fixtures/keys';
import { expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
const mine = keyRecord({ tenantId: 'acme' });
const theirs = keyRecord({ tenantId: 'globex' });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [mine, theirs]);
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (keyId: string, tenantId = 'acme') =>
  adminEvent({ method: 'DELETE', resource: '/tenants/{tenantId}/keys/{keyId}', pathParameters: { tenantId, keyId } });
const self = (keyId: string) =>
  selfServiceEvent({
    method: 'DELETE',
    resource: '/keys/{keyId}',
    pathParameters: { keyId },
    apiKey: 'ak_unused',
    authorizer: { tenantId: 'acme', keyId: testKeyId(), keyName: 'caller', scopes: 'keys:manage' },
  });

function expectNothingWritten() {
  expect(aws.writes()).toHaveLength(0);
  expect(aws.flush.calls('FlushStageAuthorizersCache')).toEqual([]);
}

describe('DELETE /tenants/{tenantId}/keys/{keyId}', () => {
  it('204 with an empty body and no-store, marks the key deleted with its record, then flushes the authorizer cache', async () => {
    const result = await handler(admin(mine.keyId));
    expect(result.statusCode).toBe(204);
    expect(result.body).toBe('');
    expect(headerOf(result, 'Cache-Control')).toBe('no-store');
    expect(aws.ddb).toHaveReceivedCommandWith(UpdateCommand, { TableName: 'api-keys-test', Key: { keyHash: mine.keyHash } });
    // Unknown to every reader from now on; its delivery removes the item with its record.
    expect(table.get(mine.keyHash)).toMatchObject({
      deleted: true,
      auditRecords: [expect.objectContaining({ action: 'key.deleted', keyId: mine.keyId, keyName: mine.name })],
    });
    expect(aws.flush.inputs('FlushStageAuthorizersCache')).toContainEqual(
      expect.objectContaining({ restApiId: 'abc123', stageName: 'v1' }),
    );
  });

  it('404 the second time', async () => {
    await handler(admin(mine.keyId));
    expectProblem(await handler(admin(mine.keyId)), 404);
  });

  it("404 for unknown, another tenant's and malformed key ids, deleting nothing", async () => {
    for (const keyId of [testKeyId(), theirs.keyId, 'key_', '*']) expectProblem(await handler(admin(keyId)), 404);
    expectNothingWritten();
    expect(table.get(theirs.keyHash)).toBeDefined();
  });

  it('400 for a malformed tenant id', async () => {
    expectProblem(await handler(admin(mine.keyId, 'no spaces please')), 400, { errors: true });
    expectNothingWritten();
  });

  it('a flush failure does not fail the request', async () => {
    aws.flush.on('FlushStageAuthorizersCache').rejects(awsError('NotFoundException', 'Invalid stage identifier specified', 404));
    expect((await handler(admin(mine.keyId))).statusCode).toBe(204);
  });

  it('503 with Retry-After when DynamoDB throttles', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const result = await handler(admin(mine.keyId));
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
    expect(aws.apigw).not.toHaveReceivedAnyCommand();
    expect(aws.flush.calls()).toEqual([]);
  });
});

describe('DELETE /keys/{keyId} (self-service)', () => {
  it("deletes the caller tenant's key; 404 for another tenant's", async () => {
    expect((await handler(self(mine.keyId))).statusCode).toBe(204);
    expectProblem(await handler(self(theirs.keyId)), 404);
    expect(table.get(theirs.keyHash)).toBeDefined();
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(1);
  });
});
