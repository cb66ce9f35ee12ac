import '../../fixtures/handler-env';
import '../../fixtures/sdk-key-reads';
import { handler } from '../../../lambdas/authorizer';
import { usageKeyValue } from '../../../src/domain/usage-key';
import { FakeTable, mockAws, USAGE_NAMESPACE } from '../../fixtures/aws';
import { authorizerEvent } from '../../fixtures/events';
import { keyRecord, testKey } from '../../fixtures/keys';

const aws = mockAws();
const firstKey = testKey();
const secondKey = testKey();

beforeEach(() => {
  aws.reset();
  new FakeTable(aws.ddb, [
    keyRecord({ key: firstKey, tenantId: 'acme', scopes: [] }),
    keyRecord({ key: secondKey, tenantId: 'acme', scopes: ['orders:read'] }),
  ]);
});

it('names the tenant’s usage key as usageIdentifierKey, the same for every key of the tenant', async () => {
  for (const apiKey of [firstKey, secondKey]) {
    const result = await handler(authorizerEvent({ apiKey }));
    expect(result.usageIdentifierKey).toBe(usageKeyValue(USAGE_NAMESPACE, 'acme'));
  }
});
