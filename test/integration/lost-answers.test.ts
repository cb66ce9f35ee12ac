/**
 * Writes that land while their answers are lost. The handlers' SDK client gives
 * up on an answer after 1 s and sends the request again; a write the first
 * attempt made is then there already, and its retry meets its own work. So the
 * retry must be taken for a success, and a write answered with a failure may have
 * landed all the same. The database here really is slow (fault-proxy.ts): it
 * does the work at once and answers 1.5 s later.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StoreUnavailableError } from '../../src/domain/errors';
import { KeyService } from '../../src/domain/key-service';
import { KeyVerifier } from '../../src/domain/key-verification';
import { DynamoKeyStore } from '../../src/store/dynamo-key-store';
import { DynamoTenantStore } from '../../src/store/dynamo-tenant-store';
import { createDocumentClient } from '../../src/store/dynamodb-client';
import { ensureTable } from '../../src/store/ensure-table';
import { createKeyTableInput, createTenantTableInput } from '../../src/store/table-schema';
import { keyCommandsOf } from '../fixtures/key-commands';
import { RecordingInvalidation } from '../fixtures/memory-key-store';
import { type Fault, type FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { useEndpoint } from '../support/silent-server';
import { makeTempDir } from '../support/temp-dir';

/** Later than the SDK's 1 s request timeout, by a margin a busy machine keeps. */
const LATE_BY_MS = 1_500;
const TEST_TIMEOUT_MS = 30_000;

let directory: Awaited<ReturnType<typeof makeTempDir>>;
let proxy: FaultProxy;
let restoreEnv: () => void;
let keyStore: DynamoKeyStore;
let tenantStore: DynamoTenantStore;
let tenantCounter = 0;

beforeAll(async () => {
  directory = await makeTempDir('lost-answers');
  proxy = await startFaultProxy({ path: join(directory.path, 'dynamodb') });
  // The handlers' own client, with its timeouts and retries, from the SDK's standard configuration.
  restoreEnv = useEndpoint('AWS_ENDPOINT_URL_DYNAMODB', proxy.endpoint);
  const admin = new DynamoDBClient({});
  try {
    await ensureTable(admin, createKeyTableInput('keys'));
    await ensureTable(admin, createTenantTableInput('tenants'));
  } finally {
    admin.destroy();
  }
  keyStore = new DynamoKeyStore(createDocumentClient(), 'keys');
  tenantStore = new DynamoTenantStore(createDocumentClient(), 'tenants');
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  restoreEnv?.();
  await proxy?.close();
  await directory?.remove();
});

afterEach(() => proxy.setFault({ kind: 'none' }));

function setup() {
  const invalidation = new RecordingInvalidation();
  const service = keyCommandsOf(new KeyService({ store: keyStore, invalidation, idempotency: tenantStore }));
  const verifier = new KeyVerifier({ store: keyStore });
  const authenticates = async (key: string) => (await verifier.verify(key)).outcome === 'valid';
  return { tenant: `tenant-${++tenantCounter}`, invalidation, service, authenticates };
}

/** The next `times` answers to `operation` come late; the work itself is done at once. */
const late = (operation: string, times: number): Fault => ({
  kind: 'slow',
  delayMs: LATE_BY_MS,
  operations: [operation],
  times,
});

describe('a write whose first answer is lost, and which the SDK sends again', () => {
  it(
    'a delete succeeds, though its retry found the key gone, and flushes the authorizer caches',
    async () => {
      const { tenant, invalidation, service, authenticates } = setup();
      const key = await service.create(tenant, { name: 'doomed' });
      // A delete is the UpdateItem that marks the key deleted with its record.
      proxy.setFault(late('UpdateItem', 1));
      await expect(service.delete(tenant, key.id)).resolves.toBeUndefined();
      expect(invalidation.flushesNow).toBe(1);
      expect(await authenticates(key.key)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a disable flushes, though its retry replaced a state that was disabled already',
    async () => {
      const { tenant, invalidation, service, authenticates } = setup();
      const key = await service.create(tenant, { name: 'doomed' });
      proxy.setFault(late('UpdateItem', 1));
      await expect(service.update(tenant, key.id, { enabled: false })).resolves.toMatchObject({ enabled: false });
      expect(invalidation.flushesNow).toBe(1);
      expect(await authenticates(key.key)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a rotation completes, though its retry found the old key rotated already',
    async () => {
      const { tenant, service, authenticates } = setup();
      const old = await service.create(tenant, { name: 'rotated' });
      // The first UpdateItem of a rotation is the old key's retirement.
      proxy.setFault(late('UpdateItem', 1));
      const replacement = await service.rotate(tenant, old.id, {});
      expect(await authenticates(replacement.key)).toBe(true);
      expect(await authenticates(old.key)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('a write answered 503 that landed all the same', () => {
  it(
    'a delete flushes the authorizer caches before it answers 503',
    async () => {
      const { tenant, invalidation, service, authenticates } = setup();
      const key = await service.create(tenant, { name: 'doomed' });
      proxy.setFault(late('UpdateItem', 3));
      await expect(service.delete(tenant, key.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await authenticates(key.key)).toBe(false);
      expect(invalidation.flushesNow).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a disable flushes the authorizer caches before it answers 503',
    async () => {
      const { tenant, invalidation, service, authenticates } = setup();
      const key = await service.create(tenant, { name: 'doomed' });
      proxy.setFault(late('UpdateItem', 3));
      await expect(service.update(tenant, key.id, { enabled: false })).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await authenticates(key.key)).toBe(false);
      expect(invalidation.flushesNow).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "an idempotent create whose claim landed releases it: the client's retry runs at once and issues one key",
    async () => {
      const { tenant, service } = setup();
      const body = { name: 'once' };
      // The claim is the request's first PutItem; the SDK makes three attempts.
      proxy.setFault(late('PutItem', 3));
      await expect(service.createOnce(tenant, body, undefined, 'order-1')).rejects.toBeInstanceOf(StoreUnavailableError);
      const retry = await service.createOnce(tenant, body, undefined, 'order-1');
      expect(retry.replayed).toBe(false);
      expect((await keyStore.list(tenant, 10)).items.map((key) => key.keyId)).toEqual([retry.key.id]);
    },
    TEST_TIMEOUT_MS,
  );
});
