import '../../fixtures/handler-env';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambdas/list-keys';
import { encodeCursor } from '../../../src/domain/cursor';
import { awsError, FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { adminEvent, selfServiceEvent } from '../../fixtures/events';
import { keyRecord } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';

const aws = mockAws();
let output: CapturedOutput;

// 25 keys for acme, created in keyId order, and 2 for globex.
const acme = Array.from({ length: 25 }, (_, i) => keyRecord({ tenantId: 'acme', name: `acme ${i}` }));
const globex = Array.from({ length: 2 }, (_, i) => keyRecord({ tenantId: 'globex', name: `globex ${i}` }));

beforeEach(() => {
  aws.reset();
  new FakeTable(aws.ddb, [...acme, ...globex]);
  output = captureOutput();
});
afterEach(() => output.restore());

const admin = (query?: Record<string, string>, tenantId = 'acme') =>
  adminEvent({ method: 'GET', resource: '/tenants/{tenantId}/keys', pathParameters: { tenantId }, query });

interface Page {
  items: Record<string, unknown>[];
  nextCursor: string | null;
}

describe('GET /tenants/{tenantId}/keys', () => {
  it('200 with 20 items newest first and a cursor; the last page has nextCursor null', async () => {
    const first = expectJson<Page>(await handler(admin()), 200);
    expect(first.items).toHaveLength(20);
    expect(first.items.map((k) => k.name)).toEqual(
      acme
        .slice(5)
        .reverse()
        .map((r) => r.name),
    );
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(aws.ddb).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byTenant', ScanIndexForward: false, Limit: 21 });

    const second = expectJson<Page>(await handler(admin({ cursor: first.nextCursor! })), 200);
    expect(second.items.map((k) => k.name)).toEqual(
      acme
        .slice(0, 5)
        .reverse()
        .map((r) => r.name),
    );
    expect(second.nextCursor).toBeNull();
  });

  it('shows ApiKeys only: no hash, no ttl, no plaintext', async () => {
    const page = expectJson<Page>(await handler(admin({ limit: '1' })), 200);
    expect(Object.keys(page.items[0]).sort()).toEqual([
      'createdAt',
      'enabled',
      'expiresAt',
      'hint',
      'id',
      'lastUsedAt',
      'meta',
      'name',
      'revokedAt',
      'revokedReason',
      'rotatedTo',
      'scopes',
      'status',
      'tenantId',
    ]);
    expect(JSON.stringify(page)).not.toContain(acme[24].keyHash);
  });

  it('limit 1..100', async () => {
    expect(expectJson<Page>(await handler(admin({ limit: '1' })), 200).items).toHaveLength(1);
    expect(expectJson<Page>(await handler(admin({ limit: '100' })), 200).items).toHaveLength(25);
    expect(aws.ddb).toHaveReceivedNthCommandWith(2, QueryCommand, { Limit: 101 });
  });

  it.each([['0'], ['101'], ['-5'], ['ten'], ['']])('400 with errors[] for limit=%p, without reading', async (limit) => {
    const problem = expectProblem(await handler(admin({ limit })), 400, { errors: true });
    expect(problem.errors![0].path).toBe('limit');
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it("400 for a tampered cursor or another tenant's cursor", async () => {
    const { nextCursor } = expectJson<Page>(await handler(admin()), 200);
    aws.ddb.resetHistory();
    for (const [cursor, tenant] of [
      [nextCursor!, 'globex'],
      [`${nextCursor}x`, 'acme'],
      [nextCursor!.slice(1), 'acme'],
      ['definitely-not-a-cursor', 'acme'],
      [encodeCursor('globex', { keyId: globex[1].keyId }), 'acme'],
    ]) {
      const problem = expectProblem(await handler(admin({ cursor }, tenant)), 400, { errors: true });
      expect(problem.errors![0].path).toBe('cursor');
    }
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it('400 for unknown query parameters and malformed tenants', async () => {
    const unknown = expectProblem(await handler(admin({ sort: 'asc' })), 400, { errors: true });
    expect(unknown.errors).toEqual([{ path: 'query', message: expect.stringContaining('sort') }]);
    expectProblem(await handler(admin({}, 'acme/../globex')), 400, { errors: true });
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
  });

  it('200 with no items for a tenant without keys', async () => {
    expect(expectJson<Page>(await handler(admin({}, 'initech')), 200)).toEqual({ items: [], nextCursor: null });
  });

  it('503 with Retry-After when DynamoDB is unavailable', async () => {
    aws.ddb.on(QueryCommand).rejects(awsError('InternalServerError', 'Internal server error', 500));
    const result = await handler(admin());
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
  });
});

describe('GET /keys (self-service)', () => {
  it("lists only the caller's tenant", async () => {
    const event = selfServiceEvent({
      method: 'GET',
      resource: '/keys',
      apiKey: 'ak_unused',
      authorizer: { tenantId: 'globex', keyId: globex[0].keyId, keyName: 'g', scopes: 'keys:manage' },
    });
    const page = expectJson<Page>(await handler(event), 200);
    expect(page.items.map((k) => k.tenantId)).toEqual(['globex', 'globex']);
    expect(aws.ddb).toHaveReceivedCommandWith(QueryCommand, { ExpressionAttributeValues: { ':tenantId': 'globex' } });
  });
});
