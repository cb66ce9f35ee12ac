/**
 * GitHub's secret scanning (DESIGN §17): a payload is GitHub's only if one of
 * GitHub's published keys signed it (ECDSA P-256, SHA-256, DER); then each key of
 * this service in it is revoked, once, with one flush for all, and GitHub hears
 * back, by SHA-256 only, which tokens were real. GitHub's keys are fetched rarely
 * and shared by every environment.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { SignatureError, SigningKeysUnavailableError, ValidationError } from '../../../src/domain/errors';
import { hashKey } from '../../../src/domain/key-format';
import { KeyService } from '../../../src/domain/key-service';
import { SecretScanning } from '../../../src/domain/secret-scanning';
import {
  type CachedSigningKeys,
  type PublishedKey,
  parsePublishedKeys,
  SharedSigningKeys,
  type SigningKeysCache,
} from '../../../src/domain/signing-keys';
import { keyRecord, sha256Hex, testKey } from '../../fixtures/keys';
import { FakeClock, MemoryKeyStore, RecordingInvalidation } from '../../fixtures/memory-key-store';

/** What the docs promise: a fetch at most once every ten minutes, keys a day old fetched again. */
const REFRESH_INTERVAL_MS = 10 * 60_000;
const MAX_KEYS_AGE_MS = 24 * 60 * 60_000;

const IDENTIFIER = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c';

function keyPair(namedCurve = 'prime256v1'): { pem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }) as string, privateKey };
}

const github = keyPair();

/** A payload as GitHub sends it, and its signature headers, signed by `by`. */
function payload(tokens: { token: string; url?: string }[], by: KeyObject = github.privateKey, identifier = IDENTIFIER) {
  const body = Buffer.from(
    JSON.stringify(tokens.map(({ token, url }) => ({ token, type: 'acme_api_key', url: url ?? '', source: 'content' }))),
  );
  return { body, signature: { keyIdentifier: identifier, signature: sign('sha256', body, by).toString('base64') } };
}

function setup(keys: Record<string, string> = { [IDENTIFIER]: github.pem }) {
  const leaked = testKey();
  const store = new MemoryKeyStore([keyRecord({ key: leaked, tenantId: 'acme' })]);
  const invalidation = new RecordingInvalidation();
  const service = new KeyService({ store, invalidation, now: new FakeClock().now });
  const scanning = new SecretScanning({ keys: { publicKeyFor: async (identifier) => keys[identifier] }, service });
  const parse = (body: Buffer) => JSON.parse(body.toString('utf8')) as unknown;
  return { leaked, store, invalidation, scanning, parse };
}

describe('a payload signed by GitHub', () => {
  it('revokes each key of this service in it, by the scanner, and labels every token by its SHA-256, never the token', async () => {
    const { leaked, store, invalidation, scanning, parse } = setup();
    const unknown = testKey();
    const notAKey = 'ak_notevenclose';
    const { body, signature } = payload([
      { token: leaked, url: 'https://github.com/octo/repo/blob/abc/.env' },
      { token: unknown },
      { token: notAKey },
      { token: leaked },
    ]);

    const feedback = await scanning.report(body, signature, parse);

    expect(feedback).toEqual([
      { token_hash: hashKey(leaked), token_type: 'acme_api_key', label: 'true_positive' },
      { token_hash: sha256Hex(unknown), token_type: 'acme_api_key', label: 'false_positive' },
      { token_hash: sha256Hex(notAKey), token_type: 'acme_api_key', label: 'false_positive' },
      { token_hash: hashKey(leaked), token_type: 'acme_api_key', label: 'true_positive' },
    ]);
    expect(JSON.stringify(feedback)).not.toContain(leaked);
    const [item] = store.all('acme');
    expect(item).toMatchObject({ enabled: false, revokedReason: 'leaked' });
    expect(item.auditRecords).toEqual([
      expect.objectContaining({
        action: 'key.revoked',
        actor: { type: 'scanner', source: 'github', url: 'https://github.com/octo/repo/blob/abc/.env' },
      }),
    ]);
    expect(invalidation.flushesNow).toBe(1);
    // The key named twice was read and revoked once; the one that is no key cost no read.
    expect(store.callsTo('findByHash')).toHaveLength(2);
  });

  it('labels a key revoked already a true positive still, and records nothing more', async () => {
    const { leaked, store, invalidation, scanning, parse } = setup();
    const { body, signature } = payload([{ token: leaked }]);
    await scanning.report(body, signature, parse);
    await expect(scanning.report(body, signature, parse)).resolves.toEqual([expect.objectContaining({ label: 'true_positive' })]);
    expect(store.all('acme')[0].auditRecords).toHaveLength(1);
    expect(invalidation.flushesNow).toBe(1);
  });

  it('labels a key deleted between its read and its revocation a false positive, and revokes the rest', async () => {
    const { leaked, store, invalidation, scanning, parse } = setup();
    const other = testKey();
    await store.create(keyRecord({ key: other, tenantId: 'acme' }));
    const [record] = store.all('acme').filter((item) => item.keyHash === hashKey(leaked));
    const findByHash = store.findByHash.bind(store);
    jest.spyOn(store, 'findByHash').mockImplementation(async (keyHash) => {
      const found = await findByHash(keyHash);
      if (keyHash === record.keyHash) store.items.delete(keyHash);
      return found;
    });
    const { body, signature } = payload([{ token: leaked }, { token: other }]);
    await expect(scanning.report(body, signature, parse)).resolves.toEqual([
      expect.objectContaining({ token_hash: hashKey(leaked), label: 'false_positive' }),
      expect.objectContaining({ token_hash: hashKey(other), label: 'true_positive' }),
    ]);
    expect(store.items.get(hashKey(other))).toMatchObject({ revokedReason: 'leaked' });
    expect(invalidation.flushesNow).toBe(1);
  });

  it('keeps no more than 2,048 characters of where a key was found', async () => {
    const { leaked, store, scanning, parse } = setup();
    const { body, signature } = payload([{ token: leaked, url: `https://github.com/${'x'.repeat(5000)}` }]);
    await scanning.report(body, signature, parse);
    const actor = store.all('acme')[0].auditRecords?.[0].actor as { url: string };
    expect(actor.url).toHaveLength(2048);
  });

  it('refuses a payload that is not a list of matches (400), after its signature, and revokes nothing', async () => {
    const { store, scanning, parse } = setup();
    const body = Buffer.from('{"token":"x"}');
    const signature = { keyIdentifier: IDENTIFIER, signature: sign('sha256', body, github.privateKey).toString('base64') };
    await expect(scanning.report(body, signature, parse)).rejects.toBeInstanceOf(ValidationError);
    expect(store.calls).toEqual([]);
  });
});

describe('a payload GitHub did not sign', () => {
  it.each([
    ['unsigned', (p: ReturnType<typeof payload>) => ({ ...p, signature: { keyIdentifier: undefined, signature: undefined } })],
    [
      'signed with a forged key',
      () => {
        const forged = payload([{ token: testKey() }], keyPair().privateKey);
        return forged;
      },
    ],
    [
      'altered after it was signed',
      (p: ReturnType<typeof payload>) => ({ ...p, body: Buffer.from(p.body.toString().replace('content', 'commit')) }),
    ],
    [
      'naming a key GitHub does not publish',
      (p: ReturnType<typeof payload>) => ({ ...p, signature: { ...p.signature, keyIdentifier: 'not-a-key' } }),
    ],
    [
      'with a signature that is not base64 DER',
      (p: ReturnType<typeof payload>) => ({ ...p, signature: { ...p.signature, signature: 'bm90IGEgc2lnbmF0dXJl' } }),
    ],
  ])('is refused (401), %s, and nothing is read or revoked', async (_case, make) => {
    const { leaked, store, scanning, parse } = setup();
    const { body, signature } = make(payload([{ token: leaked }]));
    await expect(scanning.report(body, signature, parse)).rejects.toBeInstanceOf(SignatureError);
    expect(store.calls).toEqual([]);
  });

  it('is refused when the key it names is not ECDSA P-256, even if it verifies', async () => {
    const p384 = keyPair('secp384r1');
    const { leaked, store, scanning, parse } = setup({ [IDENTIFIER]: p384.pem });
    const { body, signature } = payload([{ token: leaked }], p384.privateKey);
    await expect(scanning.report(body, signature, parse)).rejects.toBeInstanceOf(SignatureError);
    expect(store.calls).toEqual([]);
  });
});

describe("GitHub's published keys", () => {
  it("are read in GitHub's format, every key trusted, current or not", () => {
    expect(
      parsePublishedKeys({
        public_keys: [
          { key_identifier: 'a', key: 'PEM A', is_current: true },
          { key_identifier: 'b', key: 'PEM B', is_current: false },
        ],
      }),
    ).toEqual([
      { identifier: 'a', pem: 'PEM A' },
      { identifier: 'b', pem: 'PEM B' },
    ]);
    expect(() => parsePublishedKeys({ keys: [] })).toThrow(/public_keys/);
    expect(() => parsePublishedKeys({ public_keys: [{ key_identifier: 'a' }] })).toThrow(/public_keys\[0\]/);
  });
});

/** The tenant table's item, in memory, with its conditional claim. */
class MemoryKeysCache implements SigningKeysCache {
  item: CachedSigningKeys | undefined;
  async read() {
    return this.item && structuredClone(this.item);
  }
  async claimFetch(now: string, triedAfter: string) {
    if (this.item && this.item.triedAt > triedAfter) return false;
    this.item = { keys: this.item?.keys ?? [], fetchedAt: this.item?.fetchedAt ?? null, triedAt: now };
    return true;
  }
  async save(keys: PublishedKey[], fetchedAt: string) {
    this.item = { ...(this.item as CachedSigningKeys), keys, fetchedAt };
  }
}

describe('the shared cache of GitHub keys', () => {
  function environments() {
    const clock = new FakeClock();
    const cache = new MemoryKeysCache();
    let published: PublishedKey[] = [{ identifier: 'one', pem: 'PEM 1' }];
    const source = { fetch: jest.fn(async () => published) };
    const environment = () => new SharedSigningKeys({ source, cache, now: clock.now });
    return { clock, cache, source, environment, publish: (keys: PublishedKey[]) => (published = keys) };
  }

  it('fetches once for every environment, and answers from memory after', async () => {
    const { source, environment } = environments();
    const [first, second] = [environment(), environment()];
    await expect(first.publicKeyFor('one')).resolves.toBe('PEM 1');
    await expect(first.publicKeyFor('one')).resolves.toBe('PEM 1');
    await expect(second.publicKeyFor('one')).resolves.toBe('PEM 1');
    expect(source.fetch).toHaveBeenCalledTimes(1);
  });

  it('fetches again for an identifier it does not know, at most once per interval, whichever environment asks', async () => {
    const { clock, source, environment, publish } = environments();
    const [first, second] = [environment(), environment()];
    await first.publicKeyFor('one');
    clock.advance(REFRESH_INTERVAL_MS / 2);
    await expect(first.publicKeyFor('two')).resolves.toBeUndefined();
    publish([
      { identifier: 'one', pem: 'PEM 1' },
      { identifier: 'two', pem: 'PEM 2' },
    ]);
    await expect(second.publicKeyFor('two')).resolves.toBeUndefined();
    expect(source.fetch).toHaveBeenCalledTimes(1);
    clock.advance(REFRESH_INTERVAL_MS / 2 + 1);
    await expect(second.publicKeyFor('two')).resolves.toBe('PEM 2');
    // What one environment fetched, the other reads from the cache.
    await expect(first.publicKeyFor('two')).resolves.toBe('PEM 2');
    expect(source.fetch).toHaveBeenCalledTimes(2);
  });

  it('fetches again a day after, and keeps the keys it had if that fails', async () => {
    const { clock, source, environment } = environments();
    const keys = environment();
    await keys.publicKeyFor('one');
    clock.advance(MAX_KEYS_AGE_MS + 1);
    source.fetch.mockRejectedValueOnce(new Error('GitHub answered 403'));
    await expect(keys.publicKeyFor('one')).resolves.toBe('PEM 1');
    expect(source.fetch).toHaveBeenCalledTimes(2);
  });

  it('is unavailable (503), not a refusal, for an identifier it does not know when fetching again fails', async () => {
    const { clock, source, environment } = environments();
    const keys = environment();
    await keys.publicKeyFor('one');
    clock.advance(REFRESH_INTERVAL_MS + 1);
    source.fetch.mockRejectedValueOnce(new Error('GitHub answered 403'));
    // GitHub may have published 'two' since: only a fetch that worked can say it has no such key.
    await expect(keys.publicKeyFor('two')).rejects.toMatchObject({
      name: 'SigningKeysUnavailableError',
      retryAfterSeconds: REFRESH_INTERVAL_MS / 1000,
    });
    // The keys it has still serve.
    await expect(keys.publicKeyFor('one')).resolves.toBe('PEM 1');
  });

  it("is unavailable for an identifier it does not know while another environment's fetch is failing or under way", async () => {
    const { clock, cache, source, environment } = environments();
    await environment().publicKeyFor('one');
    clock.advance(REFRESH_INTERVAL_MS + 1);
    source.fetch.mockRejectedValueOnce(new Error('GitHub answered 403'));
    await expect(environment().publicKeyFor('two')).rejects.toBeInstanceOf(SigningKeysUnavailableError);
    clock.advance(60_000);
    // Another environment may not fetch again so soon; the keys it would read are those of the failed try's day.
    await expect(environment().publicKeyFor('two')).rejects.toMatchObject({
      name: 'SigningKeysUnavailableError',
      retryAfterSeconds: REFRESH_INTERVAL_MS / 1000 - 60,
    });
    // A fetch claimed a moment ago, its keys not saved yet.
    clock.advance(REFRESH_INTERVAL_MS);
    await cache.claimFetch(clock.iso(), new Date(clock.now().getTime() - REFRESH_INTERVAL_MS).toISOString());
    await expect(environment().publicKeyFor('two')).rejects.toBeInstanceOf(SigningKeysUnavailableError);
    expect(source.fetch).toHaveBeenCalledTimes(2);
  });

  it('refuses (401) an identifier it does not know only once a fetch since the last try has worked', async () => {
    const { clock, source, environment } = environments();
    await environment().publicKeyFor('one');
    clock.advance(REFRESH_INTERVAL_MS + 1);
    await expect(environment().publicKeyFor('two')).resolves.toBeUndefined();
    // Within the interval, another environment trusts that fetch, and does not try again.
    clock.advance(60_000);
    await expect(environment().publicKeyFor('two')).resolves.toBeUndefined();
    expect(source.fetch).toHaveBeenCalledTimes(2);
  });

  it('is unavailable (503, with when to retry) while no key could ever be fetched', async () => {
    const { clock, source, environment } = environments();
    source.fetch.mockRejectedValueOnce(new Error('rate limited'));
    const keys = environment();
    const failure = keys.publicKeyFor('one');
    await expect(failure).rejects.toBeInstanceOf(SigningKeysUnavailableError);
    await expect(failure).rejects.toMatchObject({ retryAfterSeconds: REFRESH_INTERVAL_MS / 1000 });
    clock.advance(60_000);
    await expect(environment().publicKeyFor('one')).rejects.toMatchObject({
      retryAfterSeconds: REFRESH_INTERVAL_MS / 1000 - 60,
    });
    expect(source.fetch).toHaveBeenCalledTimes(1);
    clock.advance(REFRESH_INTERVAL_MS);
    await expect(keys.publicKeyFor('one')).resolves.toBe('PEM 1');
  });
});
