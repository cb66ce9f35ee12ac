/**
 * DynamoKeyStore against real engines: dynalite (what `npm start` embeds) and AWS's
 * DynamoDB Local. The store uses only GetItem, PutItem, UpdateItem, DeleteItem and Query,
 * which both engines implement; dynalite lacks TransactWriteItems and UpdateTimeToLive,
 * so the design must keep relying on none of them.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import type { KeyRecord } from '../../src/domain/api-key';
import { ConcurrentChangeError, NoRoomForRecordError, StoreConflictError } from '../../src/domain/errors';
import { generateKey, hashKey, hintFor } from '../../src/domain/key-format';
import type { PagePosition } from '../../src/domain/key-store';
import { DynamoKeyStore } from '../../src/store/dynamo-key-store';
import { ensureTable } from '../../src/store/ensure-table';
import { KeyTableReads } from '../../src/store/key-table-reads';
import { createKeyTableInput } from '../../src/store/table-schema';
import { auditRecord } from '../fixtures/keys';
import { createKeyTable, ENGINES, type KeyTable, smallClientFor, useEngine } from '../support/engines';

const ulid = monotonicFactory();
let tenantCounter = 0;

/** A tenant id no other test uses, so tests can share one table. */
function freshTenant(): string {
  return `tenant-${++tenantCounter}`;
}

/** A record as KeyService would write it; each call gets a later keyId than the last. */
function newRecord(tenantId: string, overrides: Partial<KeyRecord> = {}): KeyRecord {
  const key = generateKey('ak');
  return {
    keyHash: hashKey(key),
    keyId: `key_${ulid()}`,
    tenantId,
    name: 'CI pipeline',
    hint: hintFor(key),
    scopes: ['orders:read'],
    enabled: true,
    createdAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe.each(ENGINES)('DynamoKeyStore on %s', (engineName, start) => {
  const engine = useEngine(start);
  let table: KeyTable;
  let store: DynamoKeyStore;

  beforeAll(async () => {
    table = await createKeyTable(engine());
    store = table.store;
  });

  /** The item as stored, bypassing the store. */
  async function rawItem(keyHash: string): Promise<Record<string, unknown> | undefined> {
    const result = await table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: { keyHash }, ConsistentRead: true }),
    );
    return result.Item;
  }

  async function createAll(records: KeyRecord[]): Promise<void> {
    for (const record of records) await store.create(record);
  }

  /** Every page of a tenant's listing, following `next` to the end. */
  async function allPages(tenantId: string, limit: number): Promise<KeyRecord[][]> {
    const pages: KeyRecord[][] = [];
    let after: PagePosition | undefined;
    do {
      const page = await store.list(tenantId, limit, after);
      pages.push(page.items);
      after = page.next;
    } while (after);
    return pages;
  }

  describe('ensureTable', () => {
    it('creates the table from the shared schema, and a second call finds it', async () => {
      const tableName = `ensure-${randomUUID()}`;
      await expect(ensureTable(engine().client, createKeyTableInput(tableName))).resolves.toBe('created');
      await expect(ensureTable(engine().client, createKeyTableInput(tableName))).resolves.toBe('existing');

      const { Table } = await engine().client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.KeySchema).toEqual([{ AttributeName: 'keyHash', KeyType: 'HASH' }]);
      const indexes = [...(Table?.GlobalSecondaryIndexes ?? [])].sort((a, b) => a.IndexName!.localeCompare(b.IndexName!));
      expect(indexes).toEqual([
        expect.objectContaining({
          IndexName: 'byTenant',
          KeySchema: [
            { AttributeName: 'tenantId', KeyType: 'HASH' },
            { AttributeName: 'keyId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
        expect.objectContaining({
          IndexName: 'pendingAudit',
          KeySchema: [{ AttributeName: 'auditPending', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }),
      ]);
    });

    it('adds an index the shared schema has and an existing table lacks', async () => {
      const tableName = `ensure-${randomUUID()}`;
      const input = createKeyTableInput(tableName);
      const older = {
        ...input,
        AttributeDefinitions: input.AttributeDefinitions?.filter(({ AttributeName }) => AttributeName !== 'auditPending'),
        GlobalSecondaryIndexes: input.GlobalSecondaryIndexes?.filter(({ IndexName }) => IndexName === 'byTenant'),
      };
      await ensureTable(engine().client, older);
      if (engineName === 'dynalite') {
        // dynalite accepts an index creation and ignores it: the start is refused with what to do.
        await expect(ensureTable(engine().client, input)).rejects.toThrow(/lacks index pendingAudit/);
        return;
      }
      await expect(ensureTable(engine().client, input)).resolves.toBe('existing');
      const { Table } = await engine().client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.GlobalSecondaryIndexes?.map(({ IndexName }) => IndexName).sort()).toEqual(['byTenant', 'pendingAudit']);
    });
  });

  describe('create and read', () => {
    it('reads a record back unchanged by hash and by id', async () => {
      const record = newRecord(freshTenant(), { expiresAt: '2031-01-01T00:00:00.000Z', ttl: 1924992000, scopes: ['a', 'b:c'] });
      await store.create(record);

      await expect(store.findByHash(record.keyHash)).resolves.toEqual(record);
      await expect(store.findById(record.tenantId, record.keyId)).resolves.toEqual(record);
    });

    it('refuses a second item with the same keyHash and leaves the first unchanged', async () => {
      const first = newRecord(freshTenant());
      await store.create(first);
      const impostor = newRecord(freshTenant(), { keyHash: first.keyHash, name: 'impostor' });

      await expect(store.create(impostor)).rejects.toBeInstanceOf(StoreConflictError);
      await expect(rawItem(first.keyHash)).resolves.toEqual(first);
      await expect(store.findById(impostor.tenantId, impostor.keyId)).resolves.toBeUndefined();
    });
  });

  describe('writes to a key that is gone', () => {
    it('update and delete after a delete return undefined and create no item', async () => {
      const record = newRecord(freshTenant());
      await store.create(record);
      await expect(store.delete(record)).resolves.toEqual(record);

      await expect(store.update(record, { name: 'resurrected?' })).resolves.toBeUndefined();
      await expect(store.delete(record)).resolves.toBeUndefined();
      await expect(rawItem(record.keyHash)).resolves.toBeUndefined();
    });

    /**
     * A store whose client deletes the item just before the store's conditional write,
     * as a concurrent DELETE would between the domain's read and its write.
     */
    function storeRacingWithDelete(record: KeyRecord): DynamoKeyStore {
      const racing = {
        send: async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
          if (command instanceof UpdateCommand || command instanceof DeleteCommand) {
            await table.documents.send(new DeleteCommand({ TableName: table.tableName, Key: { keyHash: record.keyHash } }));
          }
          return table.documents.send(command);
        },
      } as unknown as DynamoDBDocumentClient;
      return new DynamoKeyStore(racing, table.tableName);
    }

    it('update of a key deleted between read and write returns undefined and does not upsert it', async () => {
      const record = newRecord(freshTenant());
      await store.create(record);

      const updated = await storeRacingWithDelete(record).update(record, {
        name: 'resurrected?',
        expiresAt: '2031-01-01T00:00:00.000Z',
      });

      expect(updated).toBeUndefined();
      // Without the write's condition, UpdateItem would create a partial item with just these attributes.
      await expect(rawItem(record.keyHash)).resolves.toBeUndefined();
    });

    it('delete of a key deleted between read and write returns undefined', async () => {
      const record = newRecord(freshTenant());
      await store.create(record);

      await expect(storeRacingWithDelete(record).delete(record)).resolves.toBeUndefined();
      await expect(rawItem(record.keyHash)).resolves.toBeUndefined();
    });
  });

  describe('guarded updates', () => {
    it('apply only while the key is in the state the decision was based on', async () => {
      const record = newRecord(freshTenant(), { enabled: false, scopes: ['billing:admin'] });
      await createAll([record]);
      const seen = { enabled: false, scopes: ['billing:admin'], expiresAt: null };

      await expect(store.update(record, { enabled: true }, undefined, { ...seen, enabled: true })).rejects.toBeInstanceOf(
        ConcurrentChangeError,
      );
      await expect(store.update(record, { enabled: true }, undefined, { ...seen, scopes: ['other'] })).rejects.toBeInstanceOf(
        ConcurrentChangeError,
      );
      await expect(
        store.update(record, { enabled: true }, undefined, { ...seen, expiresAt: '2031-01-01T00:00:00.000Z' }),
      ).rejects.toBeInstanceOf(ConcurrentChangeError);
      await expect(rawItem(record.keyHash)).resolves.toEqual(record);

      await expect(store.update(record, { enabled: true }, undefined, seen)).resolves.toMatchObject({
        before: record,
        after: { enabled: true },
      });
    });

    it('compare expiry too, when the key has one', async () => {
      const record = newRecord(freshTenant(), { expiresAt: '2031-01-01T00:00:00.000Z', ttl: 1924992000 });
      await createAll([record]);
      const seen = { enabled: record.enabled, scopes: record.scopes, expiresAt: '2031-01-01T00:00:00.000Z' };
      await expect(store.update(record, { expiresAt: null }, undefined, { ...seen, expiresAt: null })).rejects.toBeInstanceOf(
        ConcurrentChangeError,
      );
      const change = await store.update(record, { expiresAt: null }, undefined, seen);
      expect(change?.after).not.toHaveProperty('expiresAt');
    });
  });

  describe('records waiting in a key', () => {
    /** A key of a fresh tenant in which 10 records wait, as many as may. */
    async function fullKey() {
      const tenant = freshTenant();
      const waiting = Array.from({ length: 10 }, (_, minute) => ({
        ...auditRecord(null, 'key.updated', minute),
        tenantId: tenant,
      }));
      const record = newRecord(tenant, { auditRecords: waiting, auditPending: waiting[0].at });
      await createAll([record]);
      return { tenant, waiting, record };
    }

    it('leave no room for another beyond 10: the change is refused as such, and writes nothing', async () => {
      const { tenant, waiting, record } = await fullKey();
      const next = { ...auditRecord(record.keyId, 'key.updated', 11), tenantId: tenant };

      await expect(store.update(record, { name: 'more' }, next)).rejects.toBeInstanceOf(NoRoomForRecordError);
      await expect(
        store.update(record, { enabled: false }, next, { enabled: true, scopes: ['orders:read'], expiresAt: null }),
      ).rejects.toBeInstanceOf(NoRoomForRecordError);
      await expect(store.markDeleted(record, next)).rejects.toBeInstanceOf(NoRoomForRecordError);
      await expect(rawItem(record.keyHash)).resolves.toEqual(record);

      await store.settleAudit(record, [waiting[0].id]);
      await expect(store.update(record, { name: 'more' }, next)).resolves.toMatchObject({ after: { name: 'more' } });
    });

    it('leave room for a revocation all the same: its record is the one beyond 10, once', async () => {
      const { tenant, record } = await fullKey();
      const revocation = { at: '2030-01-02T00:00:00.000Z', reason: 'leaked' as const };
      const revoked = { ...auditRecord(record.keyId, 'key.revoked', 11), tenantId: tenant };

      await expect(store.revoke(record, revocation, revoked)).resolves.toMatchObject({ after: { revokedReason: 'leaked' } });
      expect((await rawItem(record.keyHash))?.auditRecords).toHaveLength(11);
      const after = { ...record, enabled: false, revokedAt: revocation.at, revokedReason: revocation.reason };
      const next = { ...auditRecord(record.keyId, 'key.updated', 12), tenantId: tenant };
      await expect(store.update(after, { name: 'more' }, next)).rejects.toBeInstanceOf(NoRoomForRecordError);
    });
  });

  describe('revocation and expiry warnings', () => {
    const revocation = { at: '2030-01-02T00:00:00.000Z', reason: 'leaked' as const };

    it('revokes once: disabled with its record; a second revocation finds it so and writes nothing', async () => {
      const tenant = freshTenant();
      const record = newRecord(tenant);
      await createAll([record]);
      const change = await store.revoke(record, revocation, { ...auditRecord(record.keyId, 'key.revoked', 1), tenantId: tenant });
      expect(change?.before).toMatchObject({ enabled: true });
      expect(change?.after).toMatchObject({ enabled: false, revokedAt: revocation.at, revokedReason: 'leaked' });
      const again = await store.revoke(
        record,
        { ...revocation, reason: 'unused' },
        {
          ...auditRecord(record.keyId, 'key.revoked', 2),
          tenantId: tenant,
        },
      );
      expect(again?.before).toEqual(again?.after);
      expect(await rawItem(record.keyHash)).toMatchObject({ revokedReason: 'leaked', auditRecords: [expect.anything()] });
    });

    it('lets no change decided on the key unrevoked through after a revocation, nor a rotation', async () => {
      const tenant = freshTenant();
      const record = newRecord(tenant, { enabled: false });
      await createAll([record]);
      await store.revoke(record, revocation, { ...auditRecord(record.keyId, 'key.revoked', 1), tenantId: tenant });
      await expect(store.update(record, { enabled: true })).rejects.toBeInstanceOf(ConcurrentChangeError);
      const rotation = { to: `key_${ulid()}`, previousExpiresAt: null };
      await expect(
        store.retire(record, { rotation, expiresAt: '2030-01-03T00:00:00.000Z' }, { unexpiredAt: '2030-01-02T00:00:00.000Z' }),
      ).resolves.toBe('changed');
      // Read revoked, a rename is written, and it stays revoked.
      const revoked = { ...record, enabled: false, revokedAt: revocation.at, revokedReason: revocation.reason };
      await expect(store.update(revoked, { name: 'leaked' })).resolves.toMatchObject({ after: { name: 'leaked' } });
      expect(await rawItem(record.keyHash)).toMatchObject({ enabled: false, revokedAt: revocation.at, name: 'leaked' });
    });

    it('writes an expiry warning once, only into an active key with that expiry; a change racing it is refused', async () => {
      const tenant = freshTenant();
      const expiresAt = '2031-01-01T00:00:00.000Z';
      const [active, disabled, moved] = [
        newRecord(tenant, { expiresAt }),
        newRecord(tenant, { expiresAt, enabled: false }),
        newRecord(tenant, { expiresAt: '2032-01-01T00:00:00.000Z' }),
      ];
      await createAll([active, disabled, moved]);
      const warning = (key: KeyRecord, minute: number) => ({
        expiresAt,
        record: { ...auditRecord(key.keyId, 'key.expiring', minute), tenantId: tenant },
      });
      await expect(store.warnOfExpiry(active, warning(active, 1))).resolves.toBe(true);
      await expect(store.warnOfExpiry(active, warning(active, 2))).resolves.toBe(false);
      await expect(store.warnOfExpiry(disabled, warning(disabled, 3))).resolves.toBe(false);
      await expect(store.warnOfExpiry(moved, warning(moved, 4))).resolves.toBe(false);
      expect(await rawItem(active.keyHash)).toMatchObject({ expiryWarnedFor: expiresAt, auditRecords: [expect.anything()] });
      await expect(store.update(active, { name: 'x' }, undefined, undefined, warning(active, 5))).rejects.toBeInstanceOf(
        ConcurrentChangeError,
      );
      expect(await rawItem(disabled.keyHash)).not.toHaveProperty('auditRecords');
    });
  });

  describe('tenant isolation', () => {
    it("finds, updates and deletes nothing as another tenant's, even given the key's hash, and leaves it untouched", async () => {
      const record = newRecord(freshTenant());
      const intruder = freshTenant();
      await store.create(record);

      await expect(store.findById(intruder, record.keyId)).resolves.toBeUndefined();
      const claimed = { ...record, tenantId: intruder };
      await expect(store.update(claimed, { enabled: false, expiresAt: null })).resolves.toBeUndefined();
      await expect(store.delete(claimed)).resolves.toBeUndefined();
      await expect(rawItem(record.keyHash)).resolves.toEqual(record);
    });

    it("lists only the asked tenant's keys when many tenants' keys are interleaved", async () => {
      const tenants = Array.from({ length: 5 }, freshTenant);
      const created = new Map<string, KeyRecord[]>(tenants.map((tenant) => [tenant, []]));
      for (let round = 0; round < 4; round++) {
        for (const tenant of tenants) {
          const record = newRecord(tenant);
          await store.create(record);
          created.get(tenant)!.push(record);
        }
      }

      for (const tenant of tenants) {
        const newestFirst = created
          .get(tenant)!
          .map((r) => r.keyId)
          .reverse();
        const pages = await allPages(tenant, 3);
        expect(pages.flat().map((r) => r.keyId)).toEqual(newestFirst);
        expect(pages.map((page) => page.length)).toEqual([3, 1]);
      }
      await expect(store.list(freshTenant(), 10)).resolves.toEqual({ items: [] });
    });
  });

  describe('paging on the byTenant index', () => {
    it.each([
      [25, 10, [10, 10, 5]],
      [20, 10, [10, 10]],
      [10, 10, [10]],
      [1, 1, [1]],
      [0, 10, [0]],
    ])('%i keys with limit %i come in pages of %j, newest first, without gaps or repeats', async (count, limit, sizes) => {
      const tenant = freshTenant();
      const records = Array.from({ length: count }, () => newRecord(tenant));
      await createAll(records);

      const pages = await allPages(tenant, limit);

      expect(pages.map((page) => page.length)).toEqual(sizes);
      expect(pages.flat().map((r) => r.keyId)).toEqual(records.map((r) => r.keyId).reverse());
      expect(pages.flat()).toEqual([...records].reverse());
    });

    it('points `next` at the last item of the page', async () => {
      const tenant = freshTenant();
      const records = Array.from({ length: 3 }, () => newRecord(tenant));
      await createAll(records);

      const page = await store.list(tenant, 2);

      expect(page.next).toEqual({ keyId: records[1].keyId });
    });
  });

  describe('expiry', () => {
    it('sets ttl in epoch seconds with expiresAt, and removes both with null', async () => {
      const record = newRecord(freshTenant());
      await store.create(record);

      const expiring = await store.update(record, { expiresAt: '2031-06-01T12:00:00.500Z' });
      expect(expiring).toEqual({ before: record, after: { ...record, expiresAt: '2031-06-01T12:00:00.500Z', ttl: 1938081601 } });
      await expect(rawItem(record.keyHash)).resolves.toEqual(expiring?.after);

      const cleared = await store.update(record, { expiresAt: null });
      expect(cleared?.after).toEqual(record);
      const stored = await rawItem(record.keyHash);
      expect(stored).not.toHaveProperty('expiresAt');
      expect(stored).not.toHaveProperty('ttl');
    });

    it('changes name, scopes and enabled without touching the rest', async () => {
      const record = newRecord(freshTenant(), { lastUsedAt: '2030-01-02T00:00:00.000Z' });
      await store.create(record);

      const changes = { name: 'renamed', scopes: [], enabled: false };
      await expect(store.update(record, changes)).resolves.toEqual({ before: record, after: { ...record, ...changes } });
      await expect(rawItem(record.keyHash)).resolves.toEqual({ ...record, ...changes });
    });

    it('replaces meta whole, and removes the attribute for {}', async () => {
      const record = newRecord(freshTenant(), { meta: { plan: 'gold', region: 'eu' } });
      await store.create(record);
      await expect(store.update(record, { meta: { plan: 'free' } })).resolves.toMatchObject({
        after: { meta: { plan: 'free' } },
      });
      await expect(rawItem(record.keyHash)).resolves.toMatchObject({ meta: { plan: 'free' } });
      const cleared = await store.update(record, { meta: {} });
      expect(cleared?.after).not.toHaveProperty('meta');
      expect(await rawItem(record.keyHash)).not.toHaveProperty('meta');
    });

    it('writes meta named as members every object has: constructor, toString …', async () => {
      const meta = JSON.parse('{"constructor":"c","toString":"t","hasOwnProperty":"h"}');
      const record = newRecord(freshTenant(), { meta });
      await store.create(record);
      expect(Object.entries((await rawItem(record.keyHash))?.meta ?? {})).toEqual(Object.entries(meta));
      const renamed = JSON.parse('{"constructor":"d","valueOf":"v"}');
      await store.update(record, { meta: renamed });
      expect(Object.entries((await rawItem(record.keyHash))?.meta ?? {})).toEqual(Object.entries(renamed));
    });
  });

  /**
   * The read path the functions that verify keys use, over both transports that
   * carry it: the SDK's document client (the store's own) and the small client
   * the authorizer and POST /verify use (src/store/small-dynamodb-client.ts).
   */
  describe.each([
    ['the SDK’s document client', () => ({ reads: store, close: async () => {} })],
    [
      'the small client',
      () => {
        const client = smallClientFor(engine());
        return { reads: new KeyTableReads(client, table.tableName), close: () => client.destroy() };
      },
    ],
  ] as const)('the read path over %s', (_transport, open) => {
    let reads: Pick<KeyTableReads, 'findByHash' | 'recordUse'>;
    let close: () => Promise<void>;
    beforeAll(() => {
      ({ reads, close } = open());
    });
    afterAll(() => close());

    describe('findByHash', () => {
      it('reads every attribute back as the store wrote it: lists, maps, numbers, booleans, nulls, nested maps', async () => {
        const record = newRecord(freshTenant(), {
          expiresAt: '2031-01-01T00:00:00.000Z',
          ttl: 1924992000,
          scopes: ['a', 'b:c'],
          meta: { plan: 'gold', region: 'eu' },
          lastUsedAt: '2030-01-01T00:00:00.000Z',
          pending: true,
          rotation: { to: 'key_01JREPLACEMENT00000000000', previousExpiresAt: null },
        });
        await store.create(record);

        await expect(reads.findByHash(record.keyHash)).resolves.toEqual(record);
        await expect(reads.findByHash(record.keyHash)).resolves.toEqual(await rawItem(record.keyHash));
      });

      it('reads a key that is not there as undefined', async () => {
        await expect(reads.findByHash(hashKey(generateKey('ak')))).resolves.toBeUndefined();
      });
    });

    describe('recordUse', () => {
      const notBefore = '2030-01-01T00:09:00.000Z';
      const usedAt = '2030-01-01T00:10:00.000Z';

      it('writes lastUsedAt when the key has none, and nothing else', async () => {
        const record = newRecord(freshTenant());
        await store.create(record);

        await reads.recordUse(record.keyHash, usedAt, notBefore);

        await expect(rawItem(record.keyHash)).resolves.toEqual({ ...record, lastUsedAt: usedAt });
      });

      it('keeps a lastUsedAt newer than notBefore', async () => {
        const recent = newRecord(freshTenant(), { lastUsedAt: '2030-01-01T00:09:30.000Z' });
        await store.create(recent);

        await expect(reads.recordUse(recent.keyHash, usedAt, notBefore)).resolves.toBeUndefined();

        await expect(rawItem(recent.keyHash)).resolves.toEqual(recent);
      });

      it('replaces a lastUsedAt older than notBefore', async () => {
        const stale = newRecord(freshTenant(), { lastUsedAt: '2030-01-01T00:08:59.999Z' });
        await store.create(stale);

        await reads.recordUse(stale.keyHash, usedAt, notBefore);

        await expect(rawItem(stale.keyHash)).resolves.toEqual({ ...stale, lastUsedAt: usedAt });
      });

      it('does nothing for a missing key, and creates no item', async () => {
        const missingHash = hashKey(generateKey('ak'));

        await expect(reads.recordUse(missingHash, usedAt, notBefore)).resolves.toBeUndefined();

        await expect(rawItem(missingHash)).resolves.toBeUndefined();
      });
    });
  });
});
