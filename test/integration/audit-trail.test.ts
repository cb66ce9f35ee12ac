/**
 * The audit trail over the real stores on both engines: every change reads back as
 * its record, at once (merged from the items it waits in) and once delivered; a
 * change whose delivery fails is never without its record: it waits in its item,
 * the sweeper delivers it, and a deleted key stays unknown meanwhile.
 */
import { randomUUID } from 'node:crypto';
import type { AuditLog, AuditRecord } from '../../src/domain/audit';
import { AuditDelivery } from '../../src/domain/audit-delivery';
import { AuditQueries } from '../../src/domain/audit-queries';
import type { Caller } from '../../src/domain/caller';
import { hashKey } from '../../src/domain/key-format';
import { KeyQueries } from '../../src/domain/key-queries';
import { KeyService } from '../../src/domain/key-service';
import { KeyVerifier } from '../../src/domain/key-verification';
import { TenantService } from '../../src/domain/tenants';
import { DynamoTenantStore } from '../../src/store/dynamo-tenant-store';
import { ensureTable } from '../../src/store/ensure-table';
import { createTenantTableInput } from '../../src/store/table-schema';
import { deliverWaiting } from '../fixtures/audit-stream';
import { keyCommandsOf } from '../fixtures/key-commands';
import { RecordingAuditEvents, RecordingInvalidation } from '../fixtures/memory-key-store';
import { INSTANT_USAGE_PLANS } from '../fixtures/memory-tenant-records';
import { createKeyTable, ENGINES, type KeyTable, useEngine } from '../support/engines';

/** The sweeper's minimum age, as docs/audit.md states it: a minute. */
const SWEEP_MIN_AGE_MS = 60_000;

const ADMIN: Caller = {
  kind: 'iam',
  arn: 'arn:aws:iam::123456789012:role/back-office',
  origin: { requestId: 'req-1', sourceIp: '198.51.100.7' },
};
let tenantCounter = 0;
const freshTenant = () => `audit-tenant-${++tenantCounter}`;

/** The audit log as a delivery that fails sees it: its writes never happen. */
class DeadLog implements AuditLog {
  async append(): Promise<void> {
    throw new Error('the log is unreachable');
  }
}

describe.each(ENGINES)('the audit trail on %s', (_engineName, start) => {
  const engine = useEngine(start);
  let table: KeyTable;
  let tenants: DynamoTenantStore;
  let events: RecordingAuditEvents;
  let keys: ReturnType<typeof keyCommandsOf>;
  let clock: Date;
  const now = () => clock;

  beforeAll(async () => {
    table = await createKeyTable(engine());
    const tenantTableName = `tenants-${randomUUID()}`;
    await ensureTable(engine().client, createTenantTableInput(tenantTableName));
    tenants = new DynamoTenantStore(table.documents, tenantTableName);
    keys = keyCommandsOf(new KeyService({ store: table.store, invalidation: new RecordingInvalidation(), now }), ADMIN);
  });

  beforeEach(() => {
    clock = new Date('2030-01-01T00:00:00.000Z');
    events = new RecordingAuditEvents();
  });

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  const delivery = (log: AuditLog = tenants) =>
    new AuditDelivery({ log, events, keys: table.store, tenants, requests: tenants, retentionSeconds: 86_400, now });
  /** The tables' streams, once the changes are written. */
  const stream = (log?: AuditLog) => deliverWaiting(delivery(log), { keys: table.store, tenants });
  const sweep = (log?: AuditLog) => delivery(log).sweep();
  const trail = (tenantId: string, query: Record<string, string> = {}) =>
    new AuditQueries(tenants, [table.store, tenants]).list(tenantId, query);

  it('reads a lifecycle back newest first, with the changes, at once and once delivered, leaving nothing waiting', async () => {
    const tenant = freshTenant();
    const created = await keys.create(tenant, { name: 'CI', scopes: ['orders:read'] });
    advance(1_000);
    await keys.update(tenant, created.id, { scopes: ['orders:read', 'orders:write'] });
    advance(1_000);
    const rotated = await keys.rotate(tenant, created.id, {});
    advance(1_000);
    await keys.delete(tenant, rotated.id);

    // Right after the changes answered, before any delivery: the records waiting in the keys.
    const waiting = await trail(tenant);
    expect(waiting.items.map(({ action, keyId }) => [action, keyId])).toEqual([
      ['key.deleted', rotated.id],
      ['key.rotated', created.id],
      ['key.updated', created.id],
      ['key.created', created.id],
    ]);
    await stream();
    const { items, nextCursor } = await trail(tenant);
    expect(items).toEqual(waiting.items);
    expect(nextCursor).toBeNull();
    expect(items[2].changes).toEqual({ scopes: { old: ['orders:read'], new: ['orders:read', 'orders:write'] } });
    expect(items[1].changes.rotatedTo).toEqual({ old: null, new: rotated.id });
    expect(items[3]).toMatchObject({
      actor: { type: 'iam', arn: ADMIN.kind === 'iam' ? ADMIN.arn : '' },
      keyName: 'CI',
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

  it('a change whose delivery fails keeps its record, later changes add theirs, and the sweeper delivers them all', async () => {
    const tenant = freshTenant();
    const created = await keys.create(tenant, { name: 'stranded' });
    await expect(stream(new DeadLog())).resolves.toEqual([false]);
    // A change over a record not yet delivered writes its own beside it.
    await keys.update(tenant, created.id, { name: 'renamed' });
    await expect(stream(new DeadLog())).resolves.toEqual([false]);
    expect((await trail(tenant)).items.map((record) => record.action)).toEqual(['key.updated', 'key.created']);

    // Too fresh for the sweeper: a delivery may still be under way.
    await expect(sweep()).resolves.toEqual({ delivered: 0, withdrawn: 0, failed: 0 });
    advance(SWEEP_MIN_AGE_MS + 1);
    await expect(sweep()).resolves.toEqual({ delivered: 2, withdrawn: 0, failed: 0 });
    expect(events.published.map((record) => record.action)).toEqual(['key.created', 'key.updated']);
    await expect(sweep()).resolves.toEqual({ delivered: 0, withdrawn: 0, failed: 0 });
  });

  it('a delete whose delivery fails leaves a key every reader takes for gone, and the sweeper finishes it', async () => {
    const tenant = freshTenant();
    const created = await keys.create(tenant, { name: 'doomed' });
    await stream();
    await keys.delete(tenant, created.id);
    await stream(new DeadLog());

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
    await expect(keys.delete(tenant, created.id)).rejects.toMatchObject({ kind: 'keyNotFound' });

    advance(SWEEP_MIN_AGE_MS + 1);
    await expect(sweep()).resolves.toEqual({ delivered: 1, withdrawn: 0, failed: 0 });
    expect((await trail(tenant)).items.map((record) => record.action)).toEqual(['key.deleted', 'key.created']);
    await expect(table.store.findByHash(hashKey(created.key))).resolves.toBeUndefined();
  });

  it('a failed publish keeps the record waiting until it is published, and the log keeps one copy', async () => {
    const tenant = freshTenant();
    events.failNext = 1;
    await keys.create(tenant, { name: 'unpublished' });
    await stream();
    expect(events.published).toEqual([]);
    advance(SWEEP_MIN_AGE_MS + 1);
    await sweep();
    expect(events.published.map((record) => record.action)).toEqual(['key.created']);
    expect((await trail(tenant)).items).toHaveLength(1);
  });

  it("a tenant's plan change waits in its item, reads back at once, and is swept if its delivery fails", async () => {
    const tenant = freshTenant();
    const plans = new TenantService({
      records: tenants,
      gateway: INSTANT_USAGE_PLANS,
      plans: { default: 'free', names: ['free', 'pro'] },
      now,
    });
    await plans.setPlan(tenant, { plan: 'pro' }, ADMIN);
    expect((await trail(tenant)).items).toEqual([
      expect.objectContaining({
        action: 'tenant.updated',
        keyId: null,
        keyName: null,
        changes: { plan: { old: 'free', new: 'pro' } },
      }),
    ]);
    await stream(new DeadLog());
    advance(SWEEP_MIN_AGE_MS + 1);
    await expect(sweep()).resolves.toEqual({ delivered: 1, withdrawn: 0, failed: 0 });
    expect(events.published.map((record) => record.action)).toEqual(['tenant.updated']);
    expect(await tenants.waitingRecords(tenant)).toEqual([]);
  });

  it.each([
    ['waiting in their items', false],
    ['delivered', true],
  ])('pages newest first with a cursor bound to its tenant, filters by key and time: records %s', async (_state, delivered) => {
    const tenant = freshTenant();
    const first = await keys.create(tenant, { name: 'one' });
    advance(60_000);
    const second = await keys.create(tenant, { name: 'two' });
    advance(60_000);
    await keys.update(tenant, first.id, { name: 'uno' });
    if (delivered) await stream();

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
