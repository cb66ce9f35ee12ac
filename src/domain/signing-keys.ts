import { SigningKeysUnavailableError } from './errors';

/**
 * GitHub's secret scanning signs each payload it sends with one of its published
 * ECDSA P-256 keys, named by `Github-Public-Key-Identifier`. The keys are published
 * at GitHub's endpoint, which GitHub rate-limits (60 requests an hour from one
 * address, for a caller without a token: "Rate limits for the REST API", GitHub
 * Docs): so they are fetched rarely, kept for every function environment in a
 * shared cache, and fetched again only for an identifier the cache does not know,
 * or once the cache is a day old, and then at most once per REFRESH_INTERVAL_MS
 * whichever environment asks. An identifier is refused as unknown only by keys
 * fetched since the last try: while GitHub cannot be asked, the keys cached
 * serve, and for one they lack the answer is "unavailable" (503), never "forged" (401).
 */

/** One published key: its identifier and its PEM-encoded public key. */
export interface PublishedKey {
  identifier: string;
  pem: string;
}

/** Where payloads' signing keys come from: the key with this identifier, or undefined when its publisher has none. */
export interface SigningKeys {
  /** Throws SigningKeysUnavailableError when the keys cannot be had now. */
  publicKeyFor(identifier: string): Promise<string | undefined>;
}

/** GitHub's published keys, fetched from its endpoint (or, in local mode and tests, read from a file in its format). */
export interface SigningKeysSource {
  fetch(): Promise<PublishedKey[]>;
}

/** The keys as the shared cache holds them: when they were fetched, and when a fetch was last tried. */
export interface CachedSigningKeys {
  keys: PublishedKey[];
  fetchedAt: string | null;
  triedAt: string;
}

/** The cache every function environment shares (an item of the tenant table in AWS). */
export interface SigningKeysCache {
  read(): Promise<CachedSigningKeys | undefined>;
  /** Claims the next fetch, unless one was tried after `triedAfter`: true when this caller is the one to fetch. */
  claimFetch(now: string, triedAfter: string): Promise<boolean>;
  save(keys: PublishedKey[], fetchedAt: string): Promise<void>;
}

/** A fetch is tried at most this often, across every environment: GitHub's rate limit allows 60 an hour. */
const REFRESH_INTERVAL_MS = 10 * 60_000;
/** Keys older than this are fetched again (one GitHub withdrew stops being trusted); if that fails, they are used still. */
const MAX_KEYS_AGE_MS = 24 * 60 * 60_000;

/**
 * GitHub's format, `{"public_keys":[{"key_identifier","key","is_current"}]}`: every
 * key it lists is trusted, current or not (a payload signed just before a rotation
 * may arrive after it). Anything else is not GitHub's answer.
 */
export function parsePublishedKeys(document: unknown): PublishedKey[] {
  const keys = (document as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(keys)) throw new Error('The document holds no public_keys list');
  return keys.map((entry: unknown, index) => {
    const { key_identifier: identifier, key: pem } = (entry ?? {}) as Record<string, unknown>;
    if (typeof identifier !== 'string' || identifier === '' || typeof pem !== 'string' || pem === '') {
      throw new Error(`public_keys[${index}] needs a key_identifier and a key`);
    }
    return { identifier, pem };
  });
}

/** The keys of a shared cache, refreshed from their source as the rules above say. */
export class SharedSigningKeys implements SigningKeys {
  /** What this environment read or fetched last, and when it read it. */
  private known: CachedSigningKeys | undefined;

  constructor(private readonly options: { source: SigningKeysSource; cache: SigningKeysCache; now?: () => Date }) {}

  async publicKeyFor(identifier: string): Promise<string | undefined> {
    const now = this.options.now?.() ?? new Date();
    const fresh = (keys: CachedSigningKeys | undefined) =>
      keys?.fetchedAt != null && Date.parse(keys.fetchedAt) > now.getTime() - MAX_KEYS_AGE_MS;
    const find = () => this.known?.keys.find((key) => key.identifier === identifier)?.pem;
    if (fresh(this.known) && find()) return find();
    // Another environment may have fetched what this one does not know.
    this.known = (await this.options.cache.read()) ?? this.known;
    if (fresh(this.known) && find()) return find();
    const triedAfter = new Date(now.getTime() - REFRESH_INTERVAL_MS).toISOString();
    if (await this.options.cache.claimFetch(now.toISOString(), triedAfter)) {
      try {
        const keys = await this.options.source.fetch();
        const fetchedAt = now.toISOString();
        await this.options.cache.save(keys, fetchedAt);
        this.known = { keys, fetchedAt, triedAt: fetchedAt };
        // GitHub's keys as of now: one they lack is no key of GitHub's.
        return find();
      } catch (error) {
        // The keys cached still serve, however old; whether GitHub has this one is unknown.
        const cached = find();
        if (cached) return cached;
        throw new SigningKeysUnavailableError("GitHub's public keys could not be fetched; retry later.", retryAfter(now, now), {
          cause: error,
        });
      }
    }
    const cached = find();
    if (cached) return cached;
    // Another environment tried within the interval. If that fetch worked, the keys are as fresh as
    // GitHub's rate limit lets them be, and lack this one; if it failed, or is under way, nobody knows.
    const latest = this.known;
    const triedRecently = latest !== undefined && latest.triedAt > triedAfter;
    if (triedRecently && latest.fetchedAt !== null && latest.fetchedAt >= latest.triedAt) return undefined;
    throw new SigningKeysUnavailableError(
      "GitHub's public keys are not available yet; retry later.",
      retryAfter(triedRecently ? new Date(latest.triedAt) : now, now),
    );
  }
}

/** Seconds until the next fetch may be tried, after one tried at `triedAt`. */
function retryAfter(triedAt: Date, now: Date): number {
  return Math.max(1, Math.ceil((triedAt.getTime() + REFRESH_INTERVAL_MS - now.getTime()) / 1000));
}
