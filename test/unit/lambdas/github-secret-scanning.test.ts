import '../../fixtures/handler-env';
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { hashKey } from '../../../src/domain/key-format';
import { FakeTable, mockAws } from '../../fixtures/aws';
import { type CapturedOutput, captureOutput } from '../../fixtures/capture-output';
import { proxyEvent } from '../../fixtures/events';
import { keyRecord, sha256Hex, testKey } from '../../fixtures/keys';
import { expectJson, expectProblem, headerOf } from '../../fixtures/responses';
import { makeTempDir } from '../../support/temp-dir';

const aws = mockAws();
let table: FakeTable;
let output: CapturedOutput;
let handler: (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;
let keysFile: string;
let workspace: Awaited<ReturnType<typeof makeTempDir>>;

const IDENTIFIER = '90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a';
const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const leaked = testKey();
const record = keyRecord({ key: leaked, tenantId: 'acme' });

beforeAll(async () => {
  // As local mode and the tests give GitHub's keys: a file in GitHub's format, read by the function.
  workspace = await makeTempDir('github-keys');
  keysFile = join(workspace.path, 'keys.json');
  const pem = github.publicKey.export({ type: 'spki', format: 'pem' });
  await writeFile(keysFile, JSON.stringify({ public_keys: [{ key_identifier: IDENTIFIER, key: pem, is_current: true }] }));
  process.env.GITHUB_SECRET_SCANNING_KEYS_FILE = keysFile;
  ({ handler } = await import('../../../lambdas/github-secret-scanning'));
});
afterAll(async () => {
  delete process.env.GITHUB_SECRET_SCANNING_KEYS_FILE;
  await workspace.remove();
});
beforeEach(() => {
  aws.reset();
  table = new FakeTable(aws.ddb, [record]);
  output = captureOutput();
});
afterEach(() => output.restore());

/** GitHub's POST: the payload, and its signature by `by` (GitHub's key unless said otherwise). */
function report(body: string, by = github.privateKey, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return proxyEvent({
    method: 'POST',
    resource: '/secret-scanning/github',
    body,
    headers: {
      'Github-Public-Key-Identifier': IDENTIFIER,
      'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), by).toString('base64'),
      ...headers,
    },
  });
}

const matches = (...tokens: string[]) =>
  JSON.stringify(
    tokens.map((token) => ({ token, type: 'acme_api_key', url: 'https://github.com/o/r/blob/x/.env', source: 'content' })),
  );

describe('POST /secret-scanning/github', () => {
  it("200 with GitHub's feedback by SHA-256, the real key revoked by the scanner and the caches flushed", async () => {
    const falsePositive = testKey();
    const result = await handler(report(matches(leaked, falsePositive)));
    expect(expectJson(result, 200)).toEqual([
      { token_hash: record.keyHash, token_type: 'acme_api_key', label: 'true_positive' },
      { token_hash: sha256Hex(falsePositive), token_type: 'acme_api_key', label: 'false_positive' },
    ]);
    expect(result.body).not.toContain(leaked);
    expect(table.get(record.keyHash)?.auditRecords).toEqual([
      expect.objectContaining({
        action: 'key.revoked',
        actor: { type: 'scanner', source: 'github', url: 'https://github.com/o/r/blob/x/.env' },
      }),
    ]);
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(1);
  });

  it('503 once time runs short: no key started after that, the caches flushed for those revoked before', async () => {
    const other = testKey();
    table.put({ ...keyRecord({ key: other, tenantId: 'acme' }) });
    // Enough time left for the first key, too little by the second.
    const left = [15_000, 7_000];
    const context = { getRemainingTimeInMillis: () => left.shift() ?? 0 } as Context;
    const result = await handler(report(matches(leaked, other)), context);
    expectProblem(result, 503);
    expect(headerOf(result, 'Retry-After')).toBe('1');
    expect(table.get(record.keyHash)).toMatchObject({ revokedReason: 'leaked' });
    expect(table.get(hashKey(other))).not.toHaveProperty('revokedAt');
    expect(aws.flush.calls('FlushStageAuthorizersCache')).toHaveLength(1);
  });

  it('401 for a forged or missing signature, reading nothing', async () => {
    const forger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    expectProblem(await handler(report(matches(leaked), forger)), 401);
    const unsigned = proxyEvent({ method: 'POST', resource: '/secret-scanning/github', body: matches(leaked) });
    expectProblem(await handler(unsigned), 401);
    expect(aws.ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('takes a payload up to 1 MiB, not beyond: 413', async () => {
    const many = Array.from({ length: 4_000 }, () => testKey('zz'));
    const large = matches(...many);
    expect(large.length).toBeGreaterThan(10 * 1024);
    expect(large.length).toBeLessThanOrEqual(1024 * 1024);
    expect(expectJson<unknown[]>(await handler(report(large)), 200)).toHaveLength(4_000);
    expectProblem(await handler(report(JSON.stringify([{ token: 'x'.repeat(1024 * 1024), type: 't' }]))), 413);
  });

  it('400 for a signed payload that is not a list of matches', async () => {
    expectProblem(await handler(report('{"token":"x"}')), 400, { errors: true });
  });

  it("503 with Retry-After when GitHub's keys cannot be read", async () => {
    await writeFile(keysFile, 'not JSON');
    try {
      const result = await handler(report(matches(leaked)));
      expectProblem(result, 503);
      expect(headerOf(result, 'Retry-After')).toBe('1');
    } finally {
      const pem = github.publicKey.export({ type: 'spki', format: 'pem' });
      await writeFile(keysFile, JSON.stringify({ public_keys: [{ key_identifier: IDENTIFIER, key: pem, is_current: true }] }));
    }
  });
});
