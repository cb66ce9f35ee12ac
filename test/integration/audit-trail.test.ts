/**
 * The audit trail over the real stores on both engines: every change reads back as
 * its record, and a change whose delivery dies half-way (after the key's own write,
 * before the record reached the log) is never without its record: the sweeper
 * delivers it, and a deleted key stays unknown meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { type AuditLog, type AuditRecord, AuditTrail } from '../../src/domain/audit';
import { AuditQueries } from '../../src/domain/audit-queries';
import { AuditSweeper, SWEEP_MIN_AGE_MS } from '../../src/domain/audit-sweeper';
import type { Caller } from '../../src/domain/caller';
import { hashKey } from '../../src/domain/key-format';
import { KeyQueries } from '../../src/domain/key-queries';
import { KeyService } from '../../src/domain/key-service';
import { KeyVerifier } from '../../src/domain/key-verification';
import { DynamoTenantStore } from '../../src/store/dynamo-tenant-store';
import { ensureTable } from '../../src/store/ensure-table';
import { createTenantTableInput } from '../../src/store/table-schema';
import { RecordingAuditEvents, RecordingInvalidation } from '../fixtures/memory-key-store';
import { createKeyTable, ENGINES, type KeyTable, useEngine } from '../support/engines';

const ADMIN: Caller = {
  kind: 'iam',
  arn: 'arn:aws:iam::123456789012:role/back-office',
  origin: { requestId: 'req-1', sourceIp: '198.51.100.7' },
};
let tenantCounter = 0;
const freshTenant = () => `audit-tenant-${++tenantCounter}`;

/** The audit log as a process that dies right after the key's own write sees it: its writes never happen. */
class DeadLog implements AuditLog {
  async append(): Promise<void> {
    throw new Error('the process died');
  }
}

describe.each(ENGINES)('the audit trail on %s', (_engineName, start) => {
  const engine = useEngine(start);
  let table: KeyTable;
  let tenants: DynamoTenantStore;
  let events: RecordingAuditEvents;
  let clock: Date;
  const now = () => clock;

  beforeAll(async () => {
    table = await createKeyTable(engine());
    const tenantTableName = `tenants-${randomUUID()}`;
    await ensureTable(engine().client, createTenantTableInput(tenantTableName));
    tenants = new DynamoTenantStore(table.documents, tenantTableName);
  });

  beforeEach(() => {
    clock = new Date('2030-01-01T00:00:00.000Z');
    events = new RecordingAuditEvents();
  });

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  function service(log: AuditLog = tenants): KeyService {
    return new KeyService({
      store: table.store,
      invalidation: new RecordingInvalidation(),
      audit: new AuditTrail({ log, events, now }),
      now,
    });
  }

  const sweeper = () => new AuditSweeper(table.store, new AuditTrail({ log: tenants, events, now }), now);
  const trail = (tenantId: string, query: Record<string, string> = {}) => new AuditQueries(tenants).list(tenantId, query);

  it('reads a lifecycle back newest first, with the changes, and leaves nothing pending in the keys', async () => {
    const tenant = freshTenant();
    const keys = service();
    const created = await keys.create(tenant, { name: 'CI', scopes: ['orders:read'] }, ADMIN);
    advance(1_000);
    await keys.update(tenant, created.id, { scopes: ['orders:read', 'orders:write'] }, ADMIN);
    advance(1_000);
    const rotated = await keys.rotate(tenant, created.id, {}, ADMIN);
    advance(1_000);
    await keys.delete(tenant, rotated.id, ADMIN);

    const { items, nextCursor } = await trail(tenant);
    expect(nextCursor).toBeNull();
    expect(items.map(({ action, keyId }) => [action, keyId])).toEqual([
      ['key.deleted', rotated.id],
      ['key.rotated', created.id],
      ['key.updated', created.id],
      ['key.created', created.id],
    ]);
    expect(items[2].changes).toEqual({ scopes: { old: ['orders:read'], new: ['orders:read', 'orders:write'] } });
    expect(items[1].changes.rotatedTo).toEqual({ old: null, new: rotated.id });
    expect(items[3]).toMatchObject({
      actor: { type: 'iam', arn: ADMIN.kind === 'iam' ? ADMIN.arn : '' },
      requestId: 'req-1',
      sourceIp: '198.51.100.7',
    });
    expect(events.published.map((record) => record.id)).toEqual(items.map((record) => record.id).reverse());
    // Each record left its key once delivered, and the deleted key is gone for good.
    expect(await table.store.pendingAudits('9999-01-01T00:00:00.000Z')).toEqual([]);
    await expect(table.store.findByHash(hashKey(rotated.key))).resolves.toBeUndefined();
    // Neither the secrets nor their hashes are anywhere in the trail.
    const text = JSON.stringify(items);
    for (const secret of [created.key, rotated.key]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hashKey(secret));
    }
  });

  it('a change whose process dies after the key write keeps its record, which the sweeper delivers', async () => {
    const tenant = freshTenant();
    const dying = service(new DeadLog());
    const created = await dying.create(tenant, { name: 'stranded' }, ADMIN);
    // A change over a record that cannot be delivered is refused, not written over it: the client retries.
    await expect(dying.update(tenant, created.id, { name: 'renamed' }, ADMIN)).rejects.toMatchObject({
      kind: 'concurrentChange',
    });
    expect((await trail(tenant)).items).toEqual([]);

    // Too fresh for the sweeper: a delivery may still be under way.
    await expect(sweeper().sweep()).resolves.toEqual({ delivered: 0, failed: 0 });
    advance(SWEEP_MIN_AGE_MS + 1);
    await expect(sweeper().sweep()).resolves.toEqual({ delivered: 1, failed: 0 });
    const records = (await trail(tenant)).items;
    expect(records.map((record) => record.action)).toEqual(['key.created']);
    await expect(sweeper().sweep()).resolves.toEqual({ delivered: 0, failed: 0 });
  });

  it('every change is recorded even when each delivery dies: the next change delivers the one before it', async () => {
    const tenant = freshTenant();
    const dying = service(new DeadLog());
    const created = await dying.create(tenant, { name: 'a' }, ADMIN);
    advance(1_000);
    // A healthy process makes the next change: it delivers the stranded record first.
    await service().update(tenant, created.id, { name: 'b' }, ADMIN);
    expect((await trail(tenant)).items.map((record) => record.action)).toEqual(['key.updated', 'key.created']);
  });

  it('a delete whose process dies leaves a key every reader takes for gone, and the sweeper finishes it', async () => {
    const tenant = freshTenant();
    const created = await service().create(tenant, { name: 'doomed' }, ADMIN);
    await service(new DeadLog()).delete(tenant, created.id, ADMIN);

    // Exactly one read by hash, and the key is unknown; lists and lookups skip it.
    const reads: string[] = [];
    const verifier = new KeyVerifier({
      store: {
        findByHash: (hash) => {
          reads.push(hash);
          return table.store.findByHash(hash);
        },
        recordUse: () => Promise.resolve(),
      },
      now,
    });
    await expect(verifier.verify(created.key)).resolves.toEqual({ outcome: 'unknown' });
    expect(reads).toHaveLength(1);
    const queries = new KeyQueries(table.store, now);
    expect((await queries.list(tenant, {})).items).toEqual([]);
    await expect(queries.get(tenant, created.id)).rejects.toMatchObject({ kind: 'keyNotFound' });
    await expect(service().delete(tenant, created.id, ADMIN)).rejects.toMatchObject({ kind: 'keyNotFound' });

    advance(SWEEP_MIN_AGE_MS + 1);
    await expect(sweeper().sweep()).resolves.toEqual({ delivered: 1, failed: 0 });
    expect((await trail(tenant)).items.map((record) => record.action)).toEqual(['key.deleted', 'key.created']);
    await expect(table.store.findByHash(hashKey(created.key))).resolves.toBeUndefined();
  });

  it('a failed publish keeps the record pending until it is published, and the log keeps one copy', async () => {
    const tenant = freshTenant();
    events.failNext = 1;
    await service().create(tenant, { name: 'unpublished' }, ADMIN);
    expect(events.published).toEqual([]);
    advance(SWEEP_MIN_AGE_MS + 1);
    await sweeper().sweep();
    expect(events.published.map((record) => record.action)).toEqual(['key.created']);
    expect((await trail(tenant)).items).toHaveLength(1);
  });

  it('pages newest first with a cursor bound to its tenant, filters by key and time', async () => {
    const tenant = freshTenant();
    const keys = service();
    const first = await keys.create(tenant, { name: 'one' }, ADMIN);
    advance(60_000);
    const second = await keys.create(tenant, { name: 'two' }, ADMIN);
    advance(60_000);
    await keys.update(tenant, first.id, { name: 'uno' }, ADMIN);

    const page = await trail(tenant, { limit: '2' });
    expect(page.items.map((record: AuditRecord) => record.action)).toEqual(['key.updated', 'key.created']);
    const rest = await trail(tenant, { limit: '2', cursor: page.nextCursor as string });
    expect(rest.items.map((record) => record.keyId)).toEqual([first.id]);
    expect(rest.nextCursor).toBeNull();

    expect((await trail(tenant, { keyId: first.id })).items.map((record) => record.action)).toEqual([
      'key.updated',
      'key.created',
    ]);
    const middle = new Date(Date.parse('2030-01-01T00:01:00.000Z')).toISOString();
    expect((await trail(tenant, { from: middle, to: middle })).items.map((record) => record.keyId)).toEqual([second.id]);
    await expect(trail(freshTenant(), { cursor: page.nextCursor as string })).rejects.toMatchObject({
      kind: 'validation',
      errors: [expect.objectContaining({ path: 'cursor' })],
    });
  });
});
