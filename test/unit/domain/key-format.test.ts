// The raw module object (not an import-star copy), so jest.spyOn replaces what src/ calls.
import nodeCrypto = require('node:crypto');

import fc from 'fast-check';
import {
  assertValidKeyPrefix,
  BASE62_ALPHABET,
  BODY_LENGTH,
  CHECKSUM_LENGTH,
  checksumFor,
  DEFAULT_KEY_PREFIX,
  generateKey,
  hashKey,
  hintFor,
  isValidKeyPrefix,
  KEY_PREFIX_PATTERN,
  parseKey,
  RANDOM_LENGTH,
  toBase62,
} from '../../../src/domain/key-format';
import {
  BASE62,
  referenceBase62,
  referenceChecksum,
  referenceCrc32,
  referenceKey,
  sha256Hex,
  VECTORS,
} from '../../fixtures/keys';

/** DESIGN §1's prefix rule, written out again rather than imported. */
const PREFIX_RULE = /^[a-z][a-z0-9]{0,9}(_[a-z0-9]{1,10})?$/;
const validPrefix = fc.stringMatching(PREFIX_RULE);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const keyShape = (prefix: string) => new RegExp(`^${escapeRegExp(prefix)}_[0-9A-Za-z]{38}$`);

const INVALID_PREFIXES = [
  '',
  'A',
  'Ak',
  '1ak',
  '_ak',
  'ak_',
  'ak-live',
  'ak__live',
  'ak_live_x',
  'ak_LIVE',
  'abcdefghijk', // 11 characters before the underscore
  'ak_abcdefghijk', // 11 characters after it
  ' ak',
  'ak ',
  'ak\n',
  'äk',
];

describe('constants', () => {
  it('match DESIGN §1', () => {
    expect(RANDOM_LENGTH).toBe(32);
    expect(CHECKSUM_LENGTH).toBe(6);
    expect(BODY_LENGTH).toBe(38);
    expect(DEFAULT_KEY_PREFIX).toBe('ak');
    expect(KEY_PREFIX_PATTERN.source).toBe(PREFIX_RULE.source);
  });
});

describe('base62', () => {
  it('uses the alphabet 0-9A-Za-z in that order', () => {
    expect(BASE62_ALPHABET).toBe(BASE62);
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect(BASE62_ALPHABET[0]).toBe('0');
    expect(BASE62_ALPHABET[9]).toBe('9');
    expect(BASE62_ALPHABET[10]).toBe('A');
    expect(BASE62_ALPHABET[35]).toBe('Z');
    expect(BASE62_ALPHABET[36]).toBe('a');
    expect(BASE62_ALPHABET[61]).toBe('z');
  });

  it('writes digits most significant first and pads with 0', () => {
    expect(toBase62(0, 6)).toBe('000000');
    expect(toBase62(10, 1)).toBe('A');
    expect(toBase62(36, 1)).toBe('a');
    expect(toBase62(61, 1)).toBe('z');
    expect(toBase62(62, 1)).toBe('10');
    expect(toBase62(62, 6)).toBe('000010');
    expect(toBase62(VECTORS.crc32Of123456789, 6)).toBe(VECTORS.base62OfCrc32Of123456789);
    // The largest CRC-32 still fits in six digits.
    expect(toBase62(0xffffffff, 6)).toBe('4gfFC3');
  });

  it('agrees with a BigInt reference for every 32-bit value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
        expect(toBase62(value, 6)).toBe(referenceBase62(value, 6));
      }),
    );
  });
});

describe('checksum', () => {
  it('the reference CRC-32 reproduces the standard check value', () => {
    expect(referenceCrc32(Buffer.from('123456789', 'ascii'))).toBe(VECTORS.crc32Of123456789);
  });

  it('matches fixed vectors computed with zlib outside Node', () => {
    expect(checksumFor('ak', VECTORS.random)).toBe('1Wf1r1');
    expect(`ak_${VECTORS.random}${checksumFor('ak', VECTORS.random)}`).toBe(VECTORS.key);
    expect(checksumFor('zk_live', '0'.repeat(32))).toBe(VECTORS.zkLiveAllZeros.slice(-6));
  });

  it('is the CRC-32 of "{prefix}_{random}" in base62, for any prefix and random part', () => {
    fc.assert(
      fc.property(
        validPrefix,
        fc.string({ unit: fc.constantFrom(...BASE62), minLength: 32, maxLength: 32 }),
        (prefix, random) => {
          expect(checksumFor(prefix, random)).toBe(referenceChecksum(prefix, random));
        },
      ),
    );
  });
});

describe('generateKey', () => {
  afterEach(() => jest.restoreAllMocks());

  it('uses the default prefix ak', () => {
    expect(generateKey()).toMatch(/^ak_[0-9A-Za-z]{38}$/);
  });

  it('always matches {prefix}_[0-9A-Za-z]{38} and carries its own checksum', () => {
    fc.assert(
      fc.property(validPrefix, (prefix) => {
        const key = generateKey(prefix);
        expect(key).toMatch(keyShape(prefix));
        const random = key.slice(prefix.length + 1, prefix.length + 1 + 32);
        expect(key.slice(-6)).toBe(referenceChecksum(prefix, random));
        expect(parseKey(key)).toEqual({ prefix, random, checksum: key.slice(-6) });
      }),
      { numRuns: 200 },
    );
  });

  it('produces 1000 distinct keys', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateKey('ak')));
    expect(keys.size).toBe(1000);
  });

  it('draws the random part from node:crypto randomInt, 32 calls per key, and never Math.random', () => {
    const randomInt = jest.spyOn(nodeCrypto, 'randomInt');
    const mathRandom = jest.spyOn(Math, 'random');

    generateKey('ak');
    expect(randomInt).toHaveBeenCalledTimes(32);
    for (const call of randomInt.mock.calls) expect(call).toEqual([62]);

    generateKey('zk_live');
    expect(randomInt).toHaveBeenCalledTimes(64);
    expect(mathRandom).not.toHaveBeenCalled();
  });

  it('maps each randomInt draw to the base62 digit of that value', () => {
    let next = 0;
    jest.spyOn(nodeCrypto, 'randomInt').mockImplementation((() => next++) as unknown as typeof nodeCrypto.randomInt);
    expect(generateKey('ak')).toBe(VECTORS.key);
  });

  it('rejects invalid prefixes', () => {
    for (const prefix of INVALID_PREFIXES) {
      expect(() => generateKey(prefix)).toThrow(/Invalid key prefix/);
      expect(() => assertValidKeyPrefix(prefix)).toThrow();
      expect(isValidKeyPrefix(prefix)).toBe(false);
    }
  });

  it('rejects every string outside the prefix rule, and accepts every one inside it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (prefix) => {
        expect(isValidKeyPrefix(prefix)).toBe(PREFIX_RULE.test(prefix));
        if (!PREFIX_RULE.test(prefix)) expect(() => generateKey(prefix)).toThrow();
      }),
    );
    for (const prefix of ['ak', 'zk_live', 'zk_test', 'a', 'abcdefghij', 'a_b', 'abcdefghij_0123456789']) {
      expect(isValidKeyPrefix(prefix)).toBe(true);
      expect(() => assertValidKeyPrefix(prefix)).not.toThrow();
    }
  });
});

describe('parseKey', () => {
  it('accepts fixed vectors', () => {
    expect(parseKey(VECTORS.key)).toEqual({ prefix: 'ak', random: VECTORS.random, checksum: '1Wf1r1' });
    expect(parseKey(VECTORS.zkLiveAllZeros)).toEqual({ prefix: 'zk_live', random: '0'.repeat(32), checksum: '1hhB9k' });
  });

  it('fails when any single character is changed', () => {
    const replacement = fc.oneof(
      fc.constantFrom(...BASE62, '_', '-', ' ', '\n', '\u2026'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(validPrefix, fc.nat(), replacement, (prefix, positionSeed, char) => {
        const key = generateKey(prefix);
        const position = positionSeed % key.length;
        fc.pre(key[position] !== char);
        const changed = key.slice(0, position) + char + key.slice(position + 1);
        expect(parseKey(changed)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('fails for every single-character change of one key, exhaustively over the base62 alphabet', () => {
    const key = VECTORS.zkLiveAllZeros;
    for (let position = 0; position < key.length; position++) {
      for (const char of `${BASE62}_`) {
        if (char === key[position]) continue;
        const changed = key.slice(0, position) + char + key.slice(position + 1);
        expect(parseKey(changed)).toBeUndefined();
      }
    }
  });

  it('fails for a changed prefix that is itself valid, because the checksum covers the prefix', () => {
    const key = referenceKey('zk_live', VECTORS.random);
    expect(parseKey(key)).toBeDefined();
    expect(parseKey(key.replace(/^zk_live/, 'zk_test'))).toBeUndefined();
    expect(parseKey(key.replace(/^zk_live/, 'zkxlive'))).toBeUndefined();
  });

  it('accepts keys under any valid prefix, not only the configured one', () => {
    fc.assert(
      fc.property(validPrefix, (prefix) => {
        expect(parseKey(referenceKey(prefix, VECTORS.random))?.prefix).toBe(prefix);
      }),
    );
  });

  it('rejects malformed input', () => {
    const good = VECTORS.key;
    const malformed: unknown[] = [
      undefined,
      null,
      42,
      {},
      '',
      'ak_',
      good.slice(0, -1),
      `${good}0`,
      `${good}\n`,
      ` ${good}`,
      good.toLowerCase(),
      good.replace('ak_', 'ak-'),
      good.replace('ak_', 'AK_'),
      good.replace('ak_', '_'),
      // A valid checksum under a prefix the rule forbids.
      referenceKey('Ak', VECTORS.random),
      referenceKey('ak_live_x', VECTORS.random),
      referenceKey('abcdefghijk', VECTORS.random),
    ];
    for (const input of malformed) expect(parseKey(input as string)).toBeUndefined();
  });

  it('rejects arbitrary strings that are not keys', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (text) => {
        fc.pre(!/^[a-z][a-z0-9_]*_[0-9A-Za-z]{38}$/.test(text));
        expect(parseKey(text)).toBeUndefined();
      }),
    );
  });
});

describe('hashKey', () => {
  it('is the lowercase hex SHA-256 of the UTF-8 bytes', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hashKey(VECTORS.key)).toBe(VECTORS.keySha256);
    expect(hashKey('\u2026')).toBe(sha256Hex('\u2026'));
  });

  it('is 64 lowercase hex digits for any generated key', () => {
    fc.assert(
      fc.property(validPrefix, (prefix) => {
        const key = generateKey(prefix);
        expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/);
        expect(hashKey(key)).toBe(sha256Hex(key));
      }),
      { numRuns: 50 },
    );
  });
});

describe('hintFor', () => {
  it('is {prefix}_…{last 4} with U+2026', () => {
    expect(hintFor(VECTORS.key)).toBe('ak_\u2026f1r1');
    expect(hintFor(VECTORS.zkLiveAllZeros)).toBe('zk_live_\u2026hB9k');
  });

  it('holds for generated keys under any prefix and never reveals the random part', () => {
    fc.assert(
      fc.property(validPrefix, (prefix) => {
        const key = generateKey(prefix);
        const hint = hintFor(key);
        expect(hint).toBe(`${prefix}_\u2026${key.slice(-4)}`);
        expect(hint).not.toContain(key.slice(prefix.length + 1, prefix.length + 1 + 32));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses malformed keys', () => {
    expect(() => hintFor('ak_short')).toThrow();
    expect(() => hintFor(`${VECTORS.key.slice(0, -1)}x`)).toThrow();
  });
});
