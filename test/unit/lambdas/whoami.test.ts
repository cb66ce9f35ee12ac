import '../../fixtures/handler-env';
import { handler } from '../../../lambdas/whoami';
import { mockAws } from '../../fixtures/aws';
import { selfServiceEvent } from '../../fixtures/events';
import { expectJson } from '../../fixtures/responses';

const aws = mockAws();
beforeEach(() => aws.reset());

const event = (scopes: string) =>
  selfServiceEvent({
    method: 'GET',
    resource: '/whoami',
    apiKey: 'ak_unused',
    authorizer: { tenantId: 'acme', keyId: 'key_01JD5Z0000000000000000000A', keyName: 'CI pipeline', scopes },
  });

describe('GET /whoami', () => {
  it("200 with the authorizer's context, scopes split into a list", async () => {
    expect(expectJson(await handler(event('orders:read keys:manage')), 200)).toEqual({
      tenantId: 'acme',
      keyId: 'key_01JD5Z0000000000000000000A',
      name: 'CI pipeline',
      scopes: ['orders:read', 'keys:manage'],
    });
  });

  it('an empty scopes string is an empty list', async () => {
    expect(expectJson<{ scopes: string[] }>(await handler(event('')), 200).scopes).toEqual([]);
  });

  it('makes no AWS calls', async () => {
    await handler(event('a'));
    expect(aws.ddb).not.toHaveReceivedAnyCommand();
    expect(aws.apigw).not.toHaveReceivedAnyCommand();
  });

  it('copes with a missing authorizer context', async () => {
    const e = event('a');
    e.requestContext.authorizer = null;
    expect(expectJson<{ scopes: string[] }>(await handler(e), 200).scopes).toEqual([]);
  });
});
