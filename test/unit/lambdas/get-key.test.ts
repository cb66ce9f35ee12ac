import '../../fixtures/handler-env';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/get-key';
import { awsError, FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, selfServiceEvent } from '../../fixtures/events';
import { keyRecord, testKeyId } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let output: CapturedOutput;
const mine = keyRecord({ tenantId: 'acme', lastUsedAt: '2026-11-26T10:00:00.000Z' });
const theirs = keyRecord({ tenantId: 'globex' });

beforeEach(() => {
  aws.reset();
  new FakeTable(aws.ddb, [mine, theirs]);
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (keyId: string, tenantId = 'acme') =>
  adminEvent({ method: 'GET', resource: '/tenants/{tenantId}/keys/{keyId}', pathParameters: { tenantId, keyId } });
const self = (keyId: string, tenantId = 'acme') =>
  selfServiceEvent({
    method: 'GET',
    resource: '/keys/{keyId}',
    pathParameters: { keyId },
    apiKey: 'ak_unused',
    authorizer: { tenantId, keyId: testKeyId(), keyName: 'caller', scopes: 'keys:manage' },
  });

describe('GET /tenants/{tenantId}/keys/{keyId}', () => {
  it('200 with the ApiKey', async () => {
    expect(expectJson(await handler(admin(mine.keyId)), 200)).toEqual({
      id: mine.keyId,
      tenantId: 'acme',
      name: mine.name,
      hint: mine.hint,
      scopes: mine.scopes,
      enabled: true,
      createdAt: mine.createdAt,
      expiresAt: null,
      lastUsedAt: '2026-11-26T10:00:00.000Z',
      status: 'active',
      rotatedTo: null,
      revokedAt: null,
      revokedReason: null,
      meta: {},
    });
  });

  it('404 for an unknown key', async () => {
    expectProblem(await handler(admin(testKeyId())), 404);
  });

  it("404 (never 403) for another tenant's key", async () => {
    const result = await handler(admin(theirs.keyId));
    expectProblem(result, 404);
    expect(result.body).not.toContain('globex');
  });

  it('404 for a malformed key id, without reading', async () => {
    for (const keyId of ['nope', 'key_123', mine.keyId.toLowerCase(), `${mine.keyId}0`]) {
      expectProblem(await handler(admin(keyId)), 404);
    }
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it('503 with Retry-After when DynamoDB throttles', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const result = await handler(admin(mine.keyId));
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
  });

  it('503 with Retry-After for a store answer it cannot read, as the authorizer answers, hiding the details', async () => {
    aws.ddb.on(QueryCommand).rejects(new TypeError("Cannot read properties of undefined (reading 'S')"));
    const result = await handler(admin(mine.keyId));
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
    expect(result.body).not.toContain('Cannot read');
  });

  it('500 for a failure that is nobody’s but the code’s, hiding the details', async () => {
    const event = admin(mine.keyId);
    event.pathParameters = { keyId: mine.keyId };
    const result = await handler(event);
    expectProblem(result, 500);
    expect(result.body).not.toContain('tenant');
  });
});

describe('GET /keys/{keyId} (self-service)', () => {
  it('200 for a key of the caller’s tenant, 404 for another tenant’s', async () => {
    expect(expectJson(await handler(self(mine.keyId)), 200)).toMatchObject({ id: mine.keyId });
    expectProblem(await handler(self(theirs.keyId)), 404);
    expect(expectJson(await handler(self(theirs.keyId, 'globex')), 200)).toMatchObject({ id: theirs.keyId });
  });
});
