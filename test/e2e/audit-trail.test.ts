/** The audit trail and its events against `npm start`: what an operator and a tenant read back, and what subscribers get. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EAUDITTRAIL000', secretAccessKey: 'audit-trail-secret-00000000000000000000000' };
const TENANT = 'hooli';
let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let manager: { key: string; id: string };

const admin = (method: string, path: string, body?: unknown) => signedCall(server.baseUrl, ADMIN, method, path, { body });
const asKey = (apiKey: string, method: string, path: string, body?: unknown) =>
  call(server.baseUrl, method, path, { apiKey, body });
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-audit');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
  manager = (await admin('POST', `/tenants/${TENANT}/keys`, { name: 'Manager', scopes: ['keys:manage', 'orders:read'] })).json;
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

describe('the audit trail', () => {
  let created: { key: string; id: string };
  let rotated: { key: string; id: string };

  beforeAll(async () => {
    created = (await admin('POST', `/tenants/${TENANT}/keys`, { name: 'Worker', scopes: ['orders:read'] })).json;
    expect((await asKey(manager.key, 'PATCH', `/keys/${created.id}`, { scopes: [] })).status).toBe(200);
    const rotation = await admin('POST', `/tenants/${TENANT}/keys/${created.id}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotation.status).toBe(201);
    rotated = rotation.json;
    expect((await asKey(manager.key, 'DELETE', `/keys/${created.id}`)).status).toBe(204);
  });

  it('reads a lifecycle back as four records, newest first, with who did what from which request', async () => {
    const trail = await admin('GET', `/tenants/${TENANT}/audit?keyId=${created.id}`);
    expect(trail.status).toBe(200);
    const iam = { type: 'iam', arn: 'arn:aws:iam::000000000000:user/local-admin' };
    const key = { type: 'key', keyId: manager.id, keyName: 'Manager' };
    expect(trail.json.items.map(({ action, actor }: { action: string; actor: unknown }) => [action, actor])).toEqual([
      ['key.deleted', key],
      ['key.rotated', iam],
      ['key.updated', key],
      ['key.created', iam],
    ]);
    const [deleted, rotation, update, creation] = trail.json.items;
    expect(creation.changes).toMatchObject({ name: { old: null, new: 'Worker' }, scopes: { old: null, new: ['orders:read'] } });
    expect(update.changes).toEqual({ scopes: { old: ['orders:read'], new: [] } });
    expect(rotation.changes.rotatedTo).toEqual({ old: null, new: rotated.id });
    expect(deleted.changes).toEqual({ name: { old: 'Worker', new: null } });
    for (const record of trail.json.items) {
      // Each names the key as it was named then, so the trail reads without a lookup once the key is gone.
      expect(record).toMatchObject({ tenantId: TENANT, keyId: created.id, keyName: 'Worker', sourceIp: '127.0.0.1' });
      expect(record.requestId).toEqual(expect.any(String));
    }
    expect(trail.json.nextCursor).toBeNull();
    for (const secret of [created.key, rotated.key, manager.key]) {
      expect(trail.text).not.toContain(secret);
      expect(trail.text).not.toContain(sha256(secret));
    }
  });

  it('is the same for the tenant itself on GET /audit, paged by a cursor bound to the tenant', async () => {
    const first = await asKey(manager.key, 'GET', '/audit?limit=2');
    expect(first.status).toBe(200);
    expect(first.json.items).toHaveLength(2);
    const all = (await admin('GET', `/tenants/${TENANT}/audit?limit=100`)).json.items;
    const second = await asKey(manager.key, 'GET', `/audit?limit=100&cursor=${first.json.nextCursor}`);
    expect([...first.json.items, ...second.json.items]).toEqual(all);

    // A cursor of this tenant's trail, offered for another tenant's, is refused.
    const foreign = await admin('GET', `/tenants/initech/audit?cursor=${first.json.nextCursor}`);
    expect(foreign.status).toBe(400);
    expect(foreign.json.errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
  });

  it('refuses bad filters with 400 problem+json', async () => {
    for (const query of [
      'from=yesterday',
      'to=2030-13-01T00:00:00Z',
      'from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z',
      'keyId=nope',
      'limit=0',
      'colour=red',
    ]) {
      const refused = await admin('GET', `/tenants/${TENANT}/audit?${query}`);
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await asKey(manager.key, 'GET', '/audit?from=soon')).status).toBe(400);
  });

  it('needs keys:manage on GET /audit', async () => {
    const plain = (await admin('POST', `/tenants/${TENANT}/keys`, { name: 'Plain', scopes: ['orders:read'] })).json;
    expect((await asKey(plain.key, 'GET', '/audit')).status).toBe(403);
  });

  it('publishes each record as an event, appended to DATA_DIR/events.jsonl, within the minute docs/audit.md promises', async () => {
    const records = (await admin('GET', `/tenants/${TENANT}/audit?keyId=${created.id}`)).json.items;
    const read = async () => {
      const text = await readFile(join(dataDir.path, 'events.jsonl'), 'utf8').catch(() => '');
      return text.trim() === '' ? [] : text.trim().split('\n');
    };
    // Delivered after the changes answered: by local mode's stand-in for the tables' streams.
    const deadline = Date.now() + 60_000;
    let lines = await read();
    const mineOf = (all: string[]) => all.map((line) => JSON.parse(line)).filter((event) => event.detail.keyId === created.id);
    while (mineOf(lines).length < records.length && Date.now() < deadline) {
      await delay(100);
      lines = await read();
    }
    const mine = mineOf(lines);
    expect(mine.map((event) => [event['detail-type'], event.source, event.detail.id])).toEqual(
      records.map((record: { action: string; id: string }) => [record.action, 'api-key-service', record.id]).reverse(),
    );
    expect(mine[0]).toMatchObject({ version: '0', account: '000000000000', region: 'us-east-1', detail: records[3] });
    const text = lines.join('\n');
    for (const secret of [created.key, rotated.key, manager.key]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(sha256(secret));
    }
  }, 90_000);
});
