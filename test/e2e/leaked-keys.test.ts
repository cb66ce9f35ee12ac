/**
 * Leaked keys and expiry warnings against `npm start` (DESIGN §17): whoever holds
 * a key ends it with POST /revoke, at once on every protected stage despite the
 * authorizer caches, with the same answer for a key that never existed; GitHub's
 * signed payloads revoke what they found; and a key that expires soon is warned,
 * once, at once or when its warning's schedule runs.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { sha256Hex, testKey } from '../fixtures/keys';
import { type ApiResponse, call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ELEAKEDKEYS000', secretAccessKey: 'leaked-keys-secret-00000000000000000000' };
/** The least local mode takes, as the construct does: a minute. */
const WARNING_SECONDS = 60;
const GITHUB_KEY_ID = '2f1b8d1a6a6d0f44f9b5ac9c1c5cf1f0d6d2bc4a4d3e7b87c5a8f2f3b1c0a9e8';
const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-leaked-keys');
  const keysFile = join(dataDir.path, 'github-keys.json');
  const pem = github.publicKey.export({ type: 'spki', format: 'pem' });
  await writeFile(keysFile, JSON.stringify({ public_keys: [{ key_identifier: GITHUB_KEY_ID, key: pem, is_current: true }] }));
  server = await startLocalServer({
    DATA_DIR: join(dataDir.path, 'data'),
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
    AUTHORIZER_CACHE_TTL_SECONDS: '300',
    GITHUB_SECRET_SCANNING_KEYS_FILE: keysFile,
    EXPIRY_WARNING_SECONDS: String(WARNING_SECONDS),
  });
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const newKey = async (tenant: string, body: Record<string, unknown> = {}) => {
  const created = await admin('POST', `/tenants/${tenant}/keys`, { name: 'Leaky', scopes: ['orders:read'], ...body });
  expect(created.status).toBe(201);
  return created.json as { id: string; key: string };
};
const revoke = (key: unknown) => call(server.baseUrl, 'POST', '/revoke', { body: { key } });
const statusOf = async (response: Promise<ApiResponse>) => (await response).status;

/** The events local EventBridge received, as `events.jsonl` holds them. */
async function events(): Promise<{ 'detail-type': string; detail: Record<string, any> }[]> {
  const text = await readFile(join(dataDir.path, 'data', 'events.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Waits for the events `matching` to be published: the audit delivery runs a moment after each change. */
async function published(matching: (event: Awaited<ReturnType<typeof events>>[number]) => boolean, count = 1, withinMs = 15_000) {
  const until = Date.now() + withinMs;
  for (;;) {
    const found = (await events()).filter(matching);
    if (found.length >= count || Date.now() > until) return found;
    await delay(250);
  }
}

describe('POST /revoke, by whoever holds a key', () => {
  it('ends the key at once on every protected stage, though both had its answer cached, and records it by its holder', async () => {
    const leaked = await newKey('holder');
    expect(await statusOf(call(server.baseUrl, 'GET', '/whoami', { apiKey: leaked.key }))).toBe(200);
    expect(await statusOf(call(server.baseUrl, 'GET', '/examples/orders', { apiKey: leaked.key }))).toBe(200);

    const accepted = await revoke(leaked.key);
    expect(accepted.status).toBe(202);

    expect(await statusOf(call(server.baseUrl, 'GET', '/whoami', { apiKey: leaked.key }))).toBe(401);
    expect(await statusOf(call(server.baseUrl, 'GET', '/examples/orders', { apiKey: leaked.key }))).toBe(401);
    const shown = await admin('GET', `/tenants/holder/keys/${leaked.id}`);
    expect(shown.json).toMatchObject({ status: 'revoked', enabled: false, revokedReason: 'leaked' });
    const [event] = await published((each) => each['detail-type'] === 'key.revoked' && each.detail.keyId === leaked.id);
    expect(event.detail).toMatchObject({ actor: { type: 'holder' }, keyName: 'Leaky', sourceIp: '127.0.0.1' });
  });

  it('answers a key that never existed, or one revoked already, exactly as a live one', async () => {
    const live = await newKey('holder');
    const first = await revoke(live.key);
    for (const answer of [await revoke(testKey()), await revoke(live.key), await revoke(testKey('zk_live'))]) {
      expect({ status: answer.status, body: answer.text, type: answer.headers.get('content-type') }).toEqual({
        status: first.status,
        body: first.text,
        type: first.headers.get('content-type'),
      });
    }
    expect(
      await published((each) => each['detail-type'] === 'key.revoked' && each.detail.keyId === live.id, 2, 2_000),
    ).toHaveLength(1);
  });

  it('refuses a key whose checksum is wrong with 400, and keeps it to itself', async () => {
    const live = await newKey('holder');
    const tampered = `${live.key.slice(0, -1)}${live.key.endsWith('A') ? 'B' : 'A'}`;
    const refused = await revoke(tampered);
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([{ path: 'key', message: 'is not a key: its format or checksum is wrong' }]);
    expect(refused.text).not.toContain(tampered);
    expect(await statusOf(call(server.baseUrl, 'GET', '/whoami', { apiKey: live.key }))).toBe(200);
  });

  it('leaves a revoked key ended: not enabled, extended or rotated again (409), but renamed, and deleted', async () => {
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    const live = await newKey('holder', { expiresAt: expiresAt.toISOString() });
    await revoke(live.key);
    const path = `/tenants/holder/keys/${live.id}`;
    expect((await admin('PATCH', path, { enabled: true })).status).toBe(409);
    expect((await admin('PATCH', path, { expiresAt: null })).status).toBe(409);
    expect((await admin('PATCH', path, { expiresAt: new Date(expiresAt.getTime() + 1000).toISOString() })).status).toBe(409);
    expect((await admin('POST', `${path}/rotate`, {})).status).toBe(409);
    expect((await admin('PATCH', path, { name: 'Found in a gist' })).json).toMatchObject({ status: 'revoked' });
    expect((await admin('POST', `${path}/revoke`, { reason: 'unused' })).json).toMatchObject({ revokedReason: 'leaked' });
    expect((await admin('DELETE', path)).status).toBe(204);
  });
});

describe('POST /secret-scanning/github', () => {
  const payload = (tokens: string[], by = github.privateKey) => {
    const body = JSON.stringify(
      tokens.map((token) => ({
        token,
        type: 'local_api_key',
        url: 'https://github.com/acme/app/blob/main/.env',
        source: 'content',
      })),
    );
    return call(server.baseUrl, 'POST', '/secret-scanning/github', {
      body,
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': GITHUB_KEY_ID,
        'github-public-key-signature': sign('sha256', Buffer.from(body), by).toString('base64'),
      },
    });
  };

  it('revokes the real key GitHub found, labels the false positive, and answers by SHA-256 only', async () => {
    const found = await newKey('scanned');
    expect(await statusOf(call(server.baseUrl, 'GET', '/whoami', { apiKey: found.key }))).toBe(200);
    const falsePositive = testKey();
    const answer = await payload([found.key, falsePositive]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual([
      { token_hash: sha256Hex(found.key), token_type: 'local_api_key', label: 'true_positive' },
      { token_hash: sha256Hex(falsePositive), token_type: 'local_api_key', label: 'false_positive' },
    ]);
    expect(answer.text).not.toContain(found.key);
    expect(await statusOf(call(server.baseUrl, 'GET', '/whoami', { apiKey: found.key }))).toBe(401);
    const [event] = await published((each) => each['detail-type'] === 'key.revoked' && each.detail.keyId === found.id);
    expect(event.detail.actor).toEqual({
      type: 'scanner',
      source: 'github',
      url: 'https://github.com/acme/app/blob/main/.env',
    });
  });

  it('refuses a payload with a forged signature (401), and the key it names keeps working', async () => {
    const safe = await newKey('scanned');
    const forger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const forged = await payload([safe.key], forger);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    expect(await statusOf(call(server.baseUrl, 'GET', '/whoami', { apiKey: safe.key }))).toBe(200);
  });
});

describe('expiry warnings', () => {
  it('warn a key whose expiry is near at once, and one that expires later when its warning is due: each once', async () => {
    const soon = await newKey('expiring', { expiresAt: new Date(Date.now() + 30_000).toISOString() });
    // Due a minute and more from now: scheduled, and written by the warner when local mode's Scheduler runs it.
    const later = await newKey('expiring', { expiresAt: new Date(Date.now() + (WARNING_SECONDS + 65) * 1000).toISOString() });
    const warned = (id: string) => (each: Awaited<ReturnType<typeof events>>[number]) =>
      each['detail-type'] === 'key.expiring' && each.detail.keyId === id;

    const [now] = await published(warned(soon.id));
    expect(now.detail).toMatchObject({ actor: { type: 'service' }, keyName: 'Leaky' });
    // Setting the same expiry again, or renaming the key, warns no more.
    const expiresAt = now.detail.changes.expiresAt.new as string;
    await admin('PATCH', `/tenants/expiring/keys/${soon.id}`, { name: 'Soon', expiresAt });
    expect(await published(warned(later.id), 1, 1_000)).toEqual([]);

    const [scheduled] = await published(warned(later.id), 1, 100_000);
    expect(scheduled.detail).toMatchObject({ actor: { type: 'service' }, requestId: null });
    await delay(1_000);
    expect((await events()).filter(warned(soon.id))).toHaveLength(1);
    expect((await events()).filter(warned(later.id))).toHaveLength(1);
  }, 150_000);
});
