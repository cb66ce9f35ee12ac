import '../../fixtures/handler-env';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/revoke-key';
import type { KeyRecord } from '../../../src/domain/api-key';
import { FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, consoleEvent, selfServiceEvent } from '../../fixtures/events';
import { keyRecord, testKeyId } from '../../fixtures/keys';
import { expectJson, expectProblem } from '../../fixtures/responses';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
const mine = keyRecord({ tenantId: 'acme', scopes: ['orders:read'] });
const theirs = keyRecord({ tenantId: 'globex' });

beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [mine, theirs]);
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (keyId: string, body?: unknown) =>
  adminEvent({
    method: 'POST',
    resource: '/tenants/{tenantId}/keys/{keyId}/revoke',
    pathParameters: { tenantId: 'acme', keyId },
    ...(body === undefined ? {} : { body }),
  });

describe('POST /tenants/{tenantId}/keys/{keyId}/revoke', () => {
  it('200 with the key revoked (a leak, unless said otherwise), written with its record, and the caches flushed', async () => {
    const key = expectJson<Record<string, unknown>>(await handler(admin(mine.keyId)), 200);
    expect(key).toMatchObject({ id: mine.keyId, status: 'revoked', enabled: false, revokedReason: 'leaked' });
    expect(table.get(mine.keyHash)).toMatchObject({
      enabled: false,
      revokedReason: 'leaked',
      auditRecords: [expect.objectContaining({ action: 'key.revoked', actor: expect.objectContaining({ type: 'iam' }) })],
    });
    expect(aws.flush.calls('FlushStageAuthorizersCache')).not.toHaveLength(0);
  });

  it('200 again, with the same key and no second write, when it is revoked already; a reason may be given', async () => {
    const first = expectJson(await handler(admin(mine.keyId, { reason: 'unused' })), 200);
    const writes = aws.writes().length;
    expect(expectJson(await handler(admin(mine.keyId)), 200)).toEqual(first);
    expect(aws.writes()).toHaveLength(writes);
    expect(first).toMatchObject({ revokedReason: 'unused' });
  });

  it("404 for another tenant's key or an unknown one; 400 for a reason it does not know; nothing written", async () => {
    expectProblem(await handler(admin(theirs.keyId)), 404);
    expectProblem(await handler(admin(testKeyId())), 404);
    expectProblem(await handler(admin(mine.keyId, { reason: 'whim' })), 400, { errors: true });
    expect(aws.ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('the self-service and console routes', () => {
  it('revoke a key of the caller’s own tenant, as the calling key or the console user', async () => {
    const other = keyRecord({ tenantId: 'acme' });
    table.put(other as never);
    const self = selfServiceEvent({
      method: 'POST',
      resource: '/keys/{keyId}/revoke',
      pathParameters: { keyId: mine.keyId },
      apiKey: 'ak_unused',
      authorizer: { tenantId: 'acme', keyId: testKeyId(), keyName: 'caller', scopes: 'keys:manage' },
    });
    expect(expectJson(await handler(self), 200)).toMatchObject({ status: 'revoked' });
    expect((table.get(mine.keyHash) as unknown as KeyRecord).auditRecords?.[0].actor).toMatchObject({
      type: 'key',
      keyName: 'caller',
    });
    const fromConsole = consoleEvent({
      method: 'POST',
      resource: '/console/api/keys/{keyId}/revoke',
      pathParameters: { keyId: other.keyId },
      body: { reason: 'leaked' },
      authorizer: { tenantId: 'acme', sub: 'u-1', email: 'ada@acme.example', scopes: '' },
    });
    expect(expectJson(await handler(fromConsole), 200)).toMatchObject({ status: 'revoked' });
    expect((table.get(other.keyHash) as unknown as KeyRecord).auditRecords?.[0].actor).toMatchObject({ type: 'user' });
  });
});
