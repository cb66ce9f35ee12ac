/** The tenant table's store on both engines: idempotent requests, as the conditions really evaluate. */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type IdempotentRequest, idempotentRequestOf } from '../../src/domain/idempotency';
import { DynamoTenantStore } from '../../src/store/dynamo-tenant-store';
import { ensureTable } from '../../src/store/ensure-table';
import { createTenantTableInput } from '../../src/store/table-schema';
import { ENGINES, useEngine } from '../support/engines';

const at = (iso: string) => ({
  now: iso,
  leaseUntil: new Date(Date.parse(iso) + 60_000).toISOString(),
  expiresAt: new Date(Date.parse(iso) + 86_400_000).toISOString(),
});
let counter = 0;
const request = (idempotencyKey = 'order-42'): IdempotentRequest => ({
  ...idempotentRequestOf(`tenant-${++counter}`, 'create:admin', idempotencyKey, {}),
  fingerprint: 'f1',
});

describe.each(ENGINES)('DynamoTenantStore on %s', (_name, start) => {
  const engine = useEngine(start);
  let store: DynamoTenantStore;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    const tableName = `tenants-${randomUUID()}`;
    await ensureTable(engine().client, createTenantTableInput(tableName));
    documents = DynamoDBDocumentClient.from(engine().client);
    store = new DynamoTenantStore(documents, tableName);
  });

  it('claims once; a repeat is in progress, then completed, with the key id the claim named', async () => {
    const req = request();
    await expect(store.claim(req, 'key_A', at('2030-01-01T00:00:00.000Z'))).resolves.toEqual({ outcome: 'claimed' });
    await expect(store.claim(req, 'key_B', at('2030-01-01T00:00:01.000Z'))).resolves.toEqual({
      outcome: 'inProgress',
      keyId: 'key_A',
    });
    await store.complete(req.tenantId, req.id);
    await expect(store.claim(req, 'key_C', at('2030-01-01T00:00:02.000Z'))).resolves.toEqual({
      outcome: 'completed',
      keyId: 'key_A',
    });
  });

  it('tells a different request under the same key', async () => {
    const req = request();
    await store.claim(req, 'key_A', at('2030-01-01T00:00:00.000Z'));
    await expect(store.claim({ ...req, fingerprint: 'f2' }, 'key_B', at('2030-01-01T00:00:01.000Z'))).resolves.toEqual({
      outcome: 'mismatch',
    });
  });

  it('lets an attempt take over a claim whose lease ran out, once', async () => {
    const req = request();
    await store.claim(req, 'key_A', at('2030-01-01T00:00:00.000Z'));
    const later = at('2030-01-01T00:02:00.000Z');
    await expect(store.claim(req, 'key_B', later)).resolves.toEqual({ outcome: 'resumable', keyId: 'key_A' });
    await expect(store.claim(req, 'key_C', { ...later, leaseUntil: '2030-01-01T00:04:00.000Z' })).resolves.toEqual({
      outcome: 'inProgress',
      keyId: 'key_A',
    });
  });

  it("releases a failed attempt's claim, so the next takes it over at once, even when its own key's record completed it; another attempt's claim is not released", async () => {
    const req = request();
    const first = at('2030-01-01T00:00:00.000Z');
    await store.claim(req, 'key_A', first);
    await store.release(req, '2029-12-31T23:59:00.000Z'); // not the lease it holds: no effect
    const retry = at('2030-01-01T00:00:01.000Z');
    await expect(store.claim(req, 'key_B', retry)).resolves.toEqual({ outcome: 'inProgress', keyId: 'key_A' });
    await store.release(req, first.leaseUntil);
    await expect(store.claim(req, 'key_B', retry)).resolves.toEqual({ outcome: 'resumable', keyId: 'key_A' });
    // The attempt's key delivered its record, then the attempt failed and withdrew the key: the retry must issue it.
    await store.complete(req.tenantId, req.id);
    await store.release(req, retry.leaseUntil);
    const afterWithdrawal = at('2030-01-01T00:00:02.000Z');
    await expect(store.claim(req, 'key_C', afterWithdrawal)).resolves.toEqual({ outcome: 'resumable', keyId: 'key_A' });
    await store.complete(req.tenantId, req.id);
    await store.release(req, retry.leaseUntil); // the lease it held was taken over: no effect
    await expect(store.claim(req, 'key_D', at('2030-01-01T00:00:03.000Z'))).resolves.toEqual({
      outcome: 'completed',
      keyId: 'key_A',
    });
  });

  it('recognises its own claim when the SDK retried the PutItem that made it', async () => {
    const req = request();
    const times = at('2030-01-01T00:00:00.000Z');
    await store.claim(req, 'key_A', times);
    await expect(store.claim(req, 'key_A', times)).resolves.toEqual({ outcome: 'claimed' });
  });

  it('treats a record past its TTL as none', async () => {
    const req = request();
    await store.claim(req, 'key_A', at('2030-01-01T00:00:00.000Z'));
    await store.complete(req.tenantId, req.id);
    await expect(store.claim(req, 'key_B', at('2030-01-03T00:00:00.000Z'))).resolves.toEqual({ outcome: 'claimed' });
  });

  it('completes nothing, and fails on nothing, for a request whose record is gone', async () => {
    const req = request();
    await expect(store.complete(req.tenantId, req.id)).resolves.toBeUndefined();
    await expect(store.claim(req, 'key_A', at('2030-01-01T00:00:00.000Z'))).resolves.toEqual({ outcome: 'claimed' });
  });

  it('keeps no part of the client key in the clear', async () => {
    const req = request('very-secret-idempotency-key');
    const put = jest.spyOn(documents, 'send');
    await store.claim(req, 'key_A', at('2030-01-01T00:00:00.000Z'));
    const item = (put.mock.calls.map(([command]) => command).find((command) => command instanceof PutCommand) as PutCommand).input
      .Item;
    expect(JSON.stringify(item)).not.toContain('very-secret');
    put.mockRestore();
  });

  describe("a tenant's arrangement lease", () => {
    const times = (iso: string) => ({ now: iso, leaseUntil: new Date(Date.parse(iso) + 30_000).toISOString() });

    it('is held by one request at a time, and records what the arrangement did', async () => {
      const tenant = `tenant-${++counter}`;
      await expect(store.getTenant(tenant)).resolves.toBeUndefined();
      const first = times('2030-01-01T00:00:00.000Z');
      await expect(store.claimArrangement(tenant, first)).resolves.toBe(true);
      await expect(store.claimArrangement(tenant, times('2030-01-01T00:00:01.000Z'))).resolves.toBe(false);
      await store.completeArrangement(tenant, first.leaseUntil, { usageKey: { id: 'k1', plan: 'pro' }, plan: 'pro' });
      await expect(store.getTenant(tenant)).resolves.toEqual({
        tenantId: tenant,
        createdAt: first.now,
        plan: 'pro',
        usageKey: { id: 'k1', plan: 'pro' },
      });
      // Free again, and the creation time stays the first.
      const second = times('2030-01-02T00:00:00.000Z');
      await expect(store.claimArrangement(tenant, second)).resolves.toBe(true);
      await store.completeArrangement(tenant, second.leaseUntil, { usageKey: { id: 'k1', plan: 'free' } });
      await expect(store.getTenant(tenant)).resolves.toMatchObject({
        createdAt: first.now,
        plan: 'pro',
        usageKey: { plan: 'free' },
      });
    });

    it("runs out, and is then another request's; the first can no longer complete or release it", async () => {
      const tenant = `tenant-${++counter}`;
      const first = times('2030-01-01T00:00:00.000Z');
      await store.claimArrangement(tenant, first);
      const later = times('2030-01-01T00:01:00.000Z');
      await expect(store.claimArrangement(tenant, later)).resolves.toBe(true);
      await expect(
        store.completeArrangement(tenant, first.leaseUntil, { usageKey: { id: 'k-stale', plan: 'free' } }),
      ).rejects.toThrow(/changed while this request set it up/);
      await store.releaseArrangement(tenant, first.leaseUntil);
      await expect(store.claimArrangement(tenant, times('2030-01-01T00:01:01.000Z'))).resolves.toBe(false);
      await store.releaseArrangement(tenant, later.leaseUntil);
      await expect(store.claimArrangement(tenant, times('2030-01-01T00:01:02.000Z'))).resolves.toBe(true);
    });
  });

  describe('plan move notes', () => {
    it("are found by one Query whatever the tenant, one per tenant, until cleared; no tenant's own item is touched", async () => {
      const table = `moves-${randomUUID()}`;
      await ensureTable(engine().client, createTenantTableInput(table));
      const notes = new DynamoTenantStore(documents, table);
      await expect(notes.planMoves()).resolves.toEqual([]);
      const move = { keyId: 'k1', from: 'pro', to: 'free', startedAt: '2030-01-01T00:00:00.000Z' };
      await notes.beginPlanMove({ tenantId: 'acme', ...move });
      await notes.beginPlanMove({ tenantId: 'globex', ...move, keyId: 'k2' });
      // A later note of the same tenant replaces its earlier one.
      await notes.beginPlanMove({ tenantId: 'acme', ...move, from: 'free', to: 'pro' });
      await expect(notes.planMoves()).resolves.toEqual([
        { tenantId: 'acme', ...move, from: 'free', to: 'pro' },
        { tenantId: 'globex', ...move, keyId: 'k2' },
      ]);
      await expect(notes.getTenant('acme')).resolves.toBeUndefined();
      await notes.endPlanMove('acme');
      await notes.endPlanMove('acme');
      await expect(notes.planMoves()).resolves.toEqual([{ tenantId: 'globex', ...move, keyId: 'k2' }]);
    });
  });
});
