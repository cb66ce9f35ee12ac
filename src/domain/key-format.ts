import * as crypto from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Base62 digits in value order: 0 = '0', 10 = 'A', 36 = 'a'. */
const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH;
export const DEFAULT_KEY_PREFIX = 'ak';
export const KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]{0,9}(_[a-z0-9]{1,10})?$/;

const BODY_PATTERN = new RegExp(`^[0-9A-Za-z]{${BODY_LENGTH}}$`);

interface ParsedKey {
  prefix: string;
  random: string;
  checksum: string;
}

export function isValidKeyPrefix(prefix: string): boolean {
  return KEY_PREFIX_PATTERN.test(prefix);
}

export function assertValidKeyPrefix(prefix: string): void {
  if (!isValidKeyPrefix(prefix)) {
    throw new Error(`Invalid key prefix "${prefix}": it must match ${KEY_PREFIX_PATTERN.source}`);
  }
}

function toBase62(value: number, width: number): string {
  let digits = '';
  let rest = value;
  do {
    digits = BASE62_ALPHABET[rest % 62] + digits;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return digits.padStart(width, '0');
}

/** CRC-32 (IEEE, as zlib computes it) of `{prefix}_{random}`, in base62. */
function checksumFor(prefix: string, random: string): string {
  // crc32 encodes a string as UTF-8 itself: no buffer to allocate per key checked.
  return toBase62(crc32(`${prefix}_${random}`), CHECKSUM_LENGTH);
}

/** A new plaintext key. The random part comes from the CSPRNG, never Math.random. */
export function generateKey(prefix: string = DEFAULT_KEY_PREFIX): string {
  assertValidKeyPrefix(prefix);
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) {
    random += BASE62_ALPHABET[crypto.randomInt(BASE62_ALPHABET.length)];
  }
  return `${prefix}_${random}${checksumFor(prefix, random)}`;
}

/**
 * Splits a key into its parts, or returns undefined when its shape or checksum
 * is wrong, so callers can reject it without touching the database.
 * Any valid prefix parses: keys issued before a deployment changed its prefix keep working.
 */
export function parseKey(key: string): ParsedKey | undefined {
  if (typeof key !== 'string' || key.length < BODY_LENGTH + 2) return undefined;
  const separator = key.length - BODY_LENGTH - 1;
  if (key[separator] !== '_') return undefined;
  const prefix = key.slice(0, separator);
  const body = key.slice(separator + 1);
  if (!isValidKeyPrefix(prefix) || !BODY_PATTERN.test(body)) return undefined;
  const random = body.slice(0, RANDOM_LENGTH);
  const checksum = body.slice(RANDOM_LENGTH);
  if (checksumFor(prefix, random) !== checksum) return undefined;
  return { prefix, random, checksum };
}

/** What the table stores instead of the key: lowercase hex SHA-256 of its UTF-8 bytes. */
export function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A display form that is safe in lists: `{prefix}_…{last 4}`. */
export function hintFor(key: string): string {
  const parsed = parseKey(key);
  if (!parsed) throw new Error('Cannot build a hint for a malformed key');
  return `${parsed.prefix}_\u2026${key.slice(-4)}`;
}
