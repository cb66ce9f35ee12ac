import '../../../fixtures/handler-env';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { signingKeysFromEnvironment } from '../../../../lambdas/shared/github-signing-keys';
import { SigningKeysUnavailableError } from '../../../../src/domain/errors';
import { FakeTable, mockAws, TENANT_TABLE_NAME } from '../../../fixtures/aws';

const aws = mockAws();
let github: jest.SpyInstance;
const published = { public_keys: [{ key_identifier: 'k1', key: 'PEM 1', is_current: true }] };

beforeEach(() => {
  aws.reset();
  new FakeTable(aws.ddb, [], undefined, { tableName: TENANT_TABLE_NAME, keyAttributes: ['tenantId', 'sk'] });
  github = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => Response.json(published));
});
afterEach(() => github.mockRestore());

describe("GitHub's keys, deployed", () => {
  it("are fetched from GitHub's endpoint, naming the caller, and kept in the tenant table for every environment", async () => {
    await expect(signingKeysFromEnvironment({ ...process.env }).publicKeyFor('k1')).resolves.toBe('PEM 1');
    expect(github).toHaveBeenCalledWith(
      // The endpoint GitHub's partner program names.
      'https://api.github.com/meta/public_keys/secret_scanning',
      expect.objectContaining({ headers: expect.objectContaining({ 'user-agent': 'api-key-service' }) }),
    );
    expect(aws.ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TENANT_TABLE_NAME,
      Key: { tenantId: '#signing-keys', sk: 'github' },
    });
    // Another environment reads them from the table, and does not ask GitHub.
    await expect(signingKeysFromEnvironment({ ...process.env }).publicKeyFor('k1')).resolves.toBe('PEM 1');
    expect(github).toHaveBeenCalledTimes(1);
    expect(aws.ddb).toHaveReceivedCommandWith(GetCommand, { Key: { tenantId: '#signing-keys', sk: 'github' } });
  });

  it('are unavailable (503) when GitHub refuses, as it does past its rate limit', async () => {
    github.mockImplementation(async () => new Response('{"message":"API rate limit exceeded"}', { status: 403 }));
    await expect(signingKeysFromEnvironment({ ...process.env }).publicKeyFor('k1')).rejects.toBeInstanceOf(
      SigningKeysUnavailableError,
    );
  });
});
