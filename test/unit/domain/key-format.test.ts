// The raw module object (not an import-star copy), so jest.spyOn replaces what src/ calls.
import nodeCrypto = require('node:crypto');

import fc from 'fast-check';
import {
  assertValidKeyPrefix,
  generateKey,
  hashKey,
  hintFor,
  isValidKeyPrefix,
  KEY_PREFIX_PATTERN,
  parseKey,
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

/** The key generateKey makes when randomInt draws these values, in order. */
function keyFromDraws(prefix: string, draws: number[]): string {
  let next = 0;
  jest.spyOn(nodeCrypto, 'randomInt').mockImplementation((() => draws[next++]) as unknown as typeof nodeCrypto.randomInt);
  try {
    return generateKey(prefix);
  } finally {
    jest.restoreAllMocks();
  }
}

describe('the format of DESIGN §1', () => {
  it('has the prefix rule, and ak by default', () => {
    expect(KEY_PREFIX_PATTERN.source).toBe(PREFIX_RULE.source);
    expect(generateKey()).toMatch(/^ak_[0-9A-Za-z]{38}$/);
  });

  it('writes each draw as the base62 digit of that value, in the order 0-9A-Za-z', () => {
    const key = keyFromDraws(
      'ak',
      Array.from({ length: 32 }, (_, i) => (i * 2) % 62),
    );
    const random = key.slice(3, 35);
    expect([...random].map((digit) => BASE62.indexOf(digit))).toEqual(Array.from({ length: 32 }, (_, i) => (i * 2) % 62));
    expect(BASE62[0] + BASE62[9] + BASE62[10] + BASE62[35] + BASE62[36] + BASE62[61]).toBe('09AZaz');
    expect(
      keyFromDraws(
        'ak',
        Array.from({ length: 32 }, () => 61),
      ).slice(3, 35),
    ).toBe('z'.repeat(32));
  });
});

describe('checksum', () => {
  it('the reference CRC-32 reproduces the standard check value, and its base62 form', () => {
    expect(referenceCrc32(Buffer.from('123456789', 'ascii'))).toBe(VECTORS.crc32Of123456789);
    expect(referenceBase62(VECTORS.crc32Of123456789, 6)).toBe(VECTORS.base62OfCrc32Of123456789);
    // The largest CRC-32 still fits in six digits.
    expect(referenceBase62(0xffffffff, 6)).toBe('4gfFC3');
  });

  it('matches fixed vectors computed with zlib outside Node', () => {
    expect(parseKey(VECTORS.key)).toEqual({ prefix: 'ak', random: VECTORS.random, checksum: '1Wf1r1' });
    expect(
      keyFromDraws(
        'zk_live',
        Array.from({ length: 32 }, () => 0),
      ),
    ).toBe(VECTORS.zkLiveAllZeros);
  });

  it('is the CRC-32 of "{prefix}_{random}" in base62, left-padded to 6, for any prefix and random part', () => {
    fc.assert(
      fc.property(validPrefix, fc.array(fc.integer({ min: 0, max: 61 }), { minLength: 32, maxLength: 32 }), (prefix, draws) => {
        const key = keyFromDraws(prefix, draws);
        const random = draws.map((draw) => BASE62[draw]).join('');
        expect(key).toBe(referenceKey(prefix, random));
        expect(key.slice(-6)).toBe(referenceChecksum(prefix, random));
      }),
      { numRuns: 300 },
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
