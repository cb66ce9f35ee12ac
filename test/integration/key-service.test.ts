/** The domain services end to end over DynamoKeyStore on both engines: what the handlers and the authorizer rely on. */
import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { IssuedApiKey } from '../../src/domain/api-key';
import { ConflictError, KeyNotFoundError, ValidationError } from '../../src/domain/errors';
import { KeyQueries } from '../../src/domain/key-queries';
import { KeyService } from '../../src/domain/key-service';
import { KeyVerifier } from '../../src/domain/key-verification';
import { keyCommandsOf } from '../fixtures/key-commands';
import { RecordingInvalidation } from '../fixtures/memory-key-store';
import { createKeyTable, ENGINES, type KeyTable, useEngine } from '../support/engines';

const START = new Date('2030-01-01T00:00:00.000Z');
let tenantCounter = 0;

/** A tenant id no other test uses, so tests can share one table. */
function freshTenant(): string {
  return `tenant-${++tenantCounter}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const invalidCursor = expect.objectContaining({ errors: [expect.objectContaining({ path: 'cursor' })] });

describe.each(ENGINES)('the key lifecycle on %s', (_engineName, start) => {
  const engine = useEngine(start);
  let table: KeyTable;
  let service: ReturnType<typeof keyCommandsOf>;
  let queries: KeyQueries;
  let verifier: KeyVerifier;
  let clock: Date;

  beforeAll(async () => {
    table = await createKeyTable(engine());
    service = keyCommandsOf(new KeyService({ store: table.store, invalidation: new RecordingInvalidation(), now: () => clock }));
    queries = new KeyQueries(table.store);
    verifier = new KeyVerifier({ store: table.store, now: () => clock });
  });

  /** The usable record for a key, as the authorizer finds it, or undefined. */
  async function authenticate(key: string) {
    const verification = await verifier.verify(key);
    return verification.outcome === 'valid' ? verification.key : undefined;
  }

  beforeEach(() => {
    clock = START;
  });

  function advanceClock(ms: number): void {
    clock = new Date(clock.getTime() + ms);
  }

  /** Creates keys one second apart, oldest first. */
  async function createKeys(tenantId: string, count: number): Promise<IssuedApiKey[]> {
    const issued: IssuedApiKey[] = [];
    for (let i = 0; i < count; i++) {
      issued.push(await service.create(tenantId, { name: `key ${i}` }));
      advanceClock(1_000);
    }
    return issued;
  }

  /** Every page of a listing, following nextCursor until it is null. */
  async function listAll(tenantId: string, limit: number): Promise<Array<{ ids: string[]; nextCursor: string | null }>> {
    const pages: Array<{ ids: string[]; nextCursor: string | null }> = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = cursor === null ? { limit: String(limit) } : { limit: String(limit), cursor };
      const page = await queries.list(tenantId, query);
      pages.push({ ids: page.items.map((key) => key.id), nextCursor: page.nextCursor });
      cursor = page.nextCursor;
    } while (cursor !== null);
    return pages;
  }

  describe('key lifecycle', () => {
    it('issues a key that authenticates, and stores only its SHA-256 hash', async () => {
      const tenant = freshTenant();
      const issued = await service.create(tenant, { name: 'CI pipeline', scopes: ['orders:read'] });

      await expect(authenticate(issued.key)).resolves.toMatchObject({ keyId: issued.id, tenantId: tenant });

      const { Item } = await table.documents.send(
        new GetCommand({ TableName: table.tableName, Key: { keyHash: sha256Hex(issued.key) }, ConsistentRead: true }),
      );
      expect(Item).toMatchObject({ keyHash: sha256Hex(issued.key), keyId: issued.id });
      const randomPart = issued.key.slice('ak_'.length, 'ak_'.length + 32);
      for (const value of Object.values(Item!)) {
        expect(JSON.stringify(value)).not.toContain(randomPart);
      }
    });

    it('rotation without a grace period stops the old key at once and issues one that works', async () => {
      const tenant = freshTenant();
      const old = await service.create(tenant, { name: 'CI pipeline', scopes: ['orders:read'] });

      const rotated = await service.rotate(tenant, old.id, { gracePeriodSeconds: 0 });

      expect(rotated).toMatchObject({ rotatedFrom: old.id, name: 'CI pipeline', scopes: ['orders:read'] });
      await expect(authenticate(old.key)).resolves.toBeUndefined();
      await expect(authenticate(rotated.key)).resolves.toMatchObject({ keyId: rotated.id });
    });

    it('rotation with a grace period keeps the old key working until it ends', async () => {
      const tenant = freshTenant();
      const old = await service.create(tenant, { name: 'CI pipeline' });

      await service.rotate(tenant, old.id, { gracePeriodSeconds: 60 });

      advanceClock(59_999);
      await expect(authenticate(old.key)).resolves.toMatchObject({ keyId: old.id });
      advanceClock(1);
      await expect(authenticate(old.key)).resolves.toBeUndefined();
    });

    it('a deleted key no longer authenticates or exists', async () => {
      const tenant = freshTenant();
      const issued = await service.create(tenant, { name: 'CI pipeline' });

      await service.delete(tenant, issued.id);

      await expect(authenticate(issued.key)).resolves.toBeUndefined();
      await expect(queries.get(tenant, issued.id)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(service.delete(tenant, issued.id)).rejects.toBeInstanceOf(KeyNotFoundError);
    });

    it('another tenant can neither see, change nor delete the key', async () => {
      const owner = freshTenant();
      const other = freshTenant();
      const issued = await service.create(owner, { name: 'CI pipeline' });

      await expect(queries.get(other, issued.id)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(service.update(other, issued.id, { enabled: false })).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(service.rotate(other, issued.id, {})).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(service.delete(other, issued.id)).rejects.toBeInstanceOf(KeyNotFoundError);

      const { key: _plaintext, ...unchanged } = issued;
      await expect(queries.get(owner, issued.id)).resolves.toEqual(unchanged);
      await expect(authenticate(issued.key)).resolves.toMatchObject({ keyId: issued.id });
    });

    it('records use at most once a minute, also when two callers race with the same stale record', async () => {
      const tenant = freshTenant();
      const issued = await service.create(tenant, { name: 'CI pipeline' });
      const neverUsed = (await authenticate(issued.key))!;

      await verifier.recordUse(neverUsed);
      const firstUse = clock.toISOString();
      advanceClock(30_000);
      // A second authorizer that read the key before the first write still sees no lastUsedAt.
      await verifier.recordUse(neverUsed);
      await expect(queries.get(tenant, issued.id)).resolves.toMatchObject({ lastUsedAt: firstUse });

      advanceClock(30_001);
      await verifier.recordUse((await authenticate(issued.key))!);
      await expect(queries.get(tenant, issued.id)).resolves.toMatchObject({ lastUsedAt: clock.toISOString() });
    });
  });

  describe('rotation, as the engine evaluates its conditions', () => {
    it('is single: a second rotation is a conflict, and the grace period holds two live keys', async () => {
      const tenant = freshTenant();
      const old = await service.create(tenant, { name: 'CI pipeline' });
      const first = await service.rotate(tenant, old.id, { gracePeriodSeconds: 60 });
      await expect(service.rotate(tenant, old.id, { gracePeriodSeconds: 60 })).rejects.toBeInstanceOf(ConflictError);
      await expect(authenticate(old.key)).resolves.toBeDefined();
      await expect(authenticate(first.key)).resolves.toBeDefined();
      const { items } = await queries.list(tenant, {});
      expect(items.map((key) => [key.id, key.status, key.rotatedTo])).toEqual([
        [first.id, 'active', null],
        [old.id, 'rotated', first.id],
      ]);
    });

    it('refuses an expired key', async () => {
      const tenant = freshTenant();
      const expiring = await service.create(tenant, { name: 'n', expiresAt: new Date(clock.getTime() + 1_000).toISOString() });
      advanceClock(1_000);
      await expect(service.rotate(tenant, expiring.id, {})).rejects.toBeInstanceOf(ConflictError);
      expect((await queries.list(tenant, {})).items).toHaveLength(1);
    });

    it('keeps an unfinished replacement out of lists and lookups, and a retry supersedes it', async () => {
      const tenant = freshTenant();
      const old = await service.create(tenant, { name: 'n' });
      const activate = jest.spyOn(table.store, 'activate').mockRejectedValueOnce(new Error('lost'));
      const restore = jest.spyOn(table.store, 'restore').mockRejectedValueOnce(new Error('lost'));
      const remove = jest.spyOn(table.store, 'delete').mockRejectedValueOnce(new Error('lost'));
      await expect(service.rotate(tenant, old.id, {})).rejects.toThrow('lost');
      for (const spy of [activate, restore, remove]) spy.mockRestore();
      expect((await queries.list(tenant, {})).items.map((key) => key.id)).toEqual([old.id]);
      const retry = await service.rotate(tenant, old.id, {});
      await expect(authenticate(retry.key)).resolves.toMatchObject({ keyId: retry.id });
      expect((await queries.list(tenant, {})).items.map((key) => key.id)).toEqual([retry.id, old.id]);
    });
  });

  describe('listing with cursors', () => {
    it.each([
      [25, [10, 10, 5]],
      [20, [10, 10]],
    ])('%i keys come in pages of %j, newest first, the last with a null nextCursor', async (count, sizes) => {
      const tenant = freshTenant();
      const issued = await createKeys(tenant, count);

      const pages = await listAll(tenant, 10);

      expect(pages.map((page) => page.ids.length)).toEqual(sizes);
      expect(pages.flatMap((page) => page.ids)).toEqual(issued.map((key) => key.id).reverse());
      expect(pages.at(-1)!.nextCursor).toBeNull();
    });

    it('hands out cursors that are URL-safe and do not show the position in the clear', async () => {
      const tenant = freshTenant();
      const issued = await createKeys(tenant, 3);

      const { nextCursor } = await queries.list(tenant, { limit: '1' });

      expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(nextCursor).not.toContain(issued[2].id);
      expect(nextCursor).not.toContain(tenant);
    });

    it("rejects one tenant's cursor for another tenant", async () => {
      const owner = freshTenant();
      const other = freshTenant();
      await createKeys(owner, 3);
      await createKeys(other, 3);
      const { nextCursor } = await queries.list(owner, { limit: '1' });

      const listing = queries.list(other, { limit: '1', cursor: nextCursor! });

      await expect(listing).rejects.toBeInstanceOf(ValidationError);
      await expect(listing).rejects.toEqual(invalidCursor);
    });

    it('rejects a tampered cursor', async () => {
      const tenant = freshTenant();
      await createKeys(tenant, 3);
      const { nextCursor } = await queries.list(tenant, { limit: '1' });
      const cursor = nextCursor!;
      const flipped = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11);
      const tampered = [
        cursor.slice(0, -4),
        flipped,
        `${cursor}!`,
        `${cursor}A`,
        Buffer.from(JSON.stringify({ t: tenant, k: 'key_123', h: '0'.repeat(64) })).toString('base64url'),
        Buffer.from('not json').toString('base64url'),
      ];

      for (const bad of tampered) {
        await expect(queries.list(tenant, { limit: '1', cursor: bad })).rejects.toEqual(invalidCursor);
      }
    });

    it("pages only through the caller's own keys, even with a cursor forged from another tenant's position", async () => {
      const victim = freshTenant();
      const attacker = freshTenant();
      // Interleaved creation, oldest first: victim 0, attacker 0, victim 1, attacker 1, victim 2, attacker 2.
      const attackerKeys: IssuedApiKey[] = [];
      for (let i = 0; i < 3; i++) {
        await createKeys(victim, 1);
        attackerKeys.push(...(await createKeys(attacker, 1)));
      }
      // The cursor format is not secret, so a caller can re-encode a victim's position under their own tenant.
      const { nextCursor } = await queries.list(victim, { limit: '1' });
      const position = JSON.parse(Buffer.from(nextCursor!, 'base64url').toString('utf8')) as Record<string, string>;
      const forged = Buffer.from(JSON.stringify({ ...position, t: attacker })).toString('base64url');

      const page = await queries.list(attacker, { limit: '100', cursor: forged });

      // The listing resumes in the attacker's own partition, before victim 2: attacker 1, then attacker 0.
      expect(page.items.map((key) => key.id)).toEqual([attackerKeys[1].id, attackerKeys[0].id]);
      expect(page.nextCursor).toBeNull();
    });
  });
});
