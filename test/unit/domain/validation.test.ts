import fc from 'fast-check';
import { ValidationError } from '../../../src/domain/errors';
import { KEY_ID_PATTERN } from '../../../src/domain/identifiers';
import {
  createKeyBodySchema,
  listKeysQuerySchema,
  parseOrThrow,
  rotateKeyBodySchema,
  tenantIdSchema,
  updateKeyBodySchema,
} from '../../../src/domain/validation';

function errorsOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const errors = (error as ValidationError).errors;
    expect(errors.length).toBeGreaterThan(0);
    for (const entry of errors) {
      expect(typeof entry.path).toBe('string');
      expect(entry.path).not.toBe('');
      expect(typeof entry.message).toBe('string');
      expect(entry.message).not.toBe('');
    }
    return errors;
  }
  throw new Error('expected a ValidationError');
}

const create = (body: unknown) => parseOrThrow(createKeyBodySchema, body);
const update = (body: unknown) => parseOrThrow(updateKeyBodySchema, body);

describe('patterns', () => {
  it('match DESIGN §2', () => {
    const tenant = (id: string) => tenantIdSchema.safeParse(id).success;
    expect(tenant('acme')).toBe(true);
    expect(tenant('A1.b_c-d')).toBe(true);
    expect(tenant('a'.repeat(64))).toBe(true);
    expect(tenant('a'.repeat(65))).toBe(false);
    expect(tenant('-acme')).toBe(false);
    expect(tenant('ac me')).toBe(false);
    expect(KEY_ID_PATTERN.test('key_01JD5Z0000000000000000000A')).toBe(true);
    expect(KEY_ID_PATTERN.test('key_01jd5z0000000000000000000a')).toBe(false); // upper case only
    expect(KEY_ID_PATTERN.test('key_01JD5Z000000000000000000IL')).toBe(false); // I, L are not Crockford
    expect(KEY_ID_PATTERN.test('key_01JD5Z000000000000000000A')).toBe(false); // 25 characters
    expect(create({ name: 'n', scopes: ['orders:read'] }).scopes).toEqual(['orders:read']);
    expect(() => create({ name: 'n', scopes: ['Orders:read'] })).toThrow(ValidationError);
  });
});

describe('name', () => {
  it('is trimmed', () => {
    expect(create({ name: '  CI pipeline \t' }).name).toBe('CI pipeline');
  });

  it('must be 1–100 characters after trimming', () => {
    expect(create({ name: 'x' }).name).toBe('x');
    expect(create({ name: 'x'.repeat(100) }).name).toHaveLength(100);
    expect(create({ name: `  ${'x'.repeat(100)}  ` }).name).toHaveLength(100);
    expect(errorsOf(() => create({ name: 'x'.repeat(101) }))).toEqual([
      { path: 'name', message: expect.stringMatching(/at most 100/) },
    ]);
    expect(errorsOf(() => create({ name: '' }))[0].path).toBe('name');
    expect(errorsOf(() => create({ name: '   ' }))[0].path).toBe('name');
  });

  it('must not contain control characters', () => {
    for (const bad of ['a\u0000b', 'line\nbreak', 'bell\u0007', 'del\u007f', 'c1\u0085', 'esc\u001b[31m']) {
      expect(errorsOf(() => create({ name: bad }))).toEqual([{ path: 'name', message: expect.stringMatching(/control/) }]);
    }
    expect(create({ name: 'Ünïcødé – ✓ 🚀' }).name).toBe('Ünïcødé – ✓ 🚀');
  });

  it('must be a string and is required on create', () => {
    expect(errorsOf(() => create({ name: 42 }))[0].path).toBe('name');
    expect(errorsOf(() => create({}))[0].path).toBe('name');
  });

  it('is described in zod’s own English words where no message of ours applies', () => {
    expect(errorsOf(() => create({ name: 42 }))).toEqual([
      { path: 'name', message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('rejects any name containing a C0/C1 control character (property)', () => {
    const control = fc
      .integer({ min: 0, max: 0x9f })
      .filter((c) => c < 0x20 || c >= 0x7f)
      .map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), control, fc.string({ maxLength: 20 }), (before, char, after) => {
        expect(() => create({ name: `x${before}${char}${after}x` })).toThrow(ValidationError);
      }),
    );
  });
});

describe('scopes', () => {
  it('must each match the scope pattern', () => {
    expect(create({ name: 'n', scopes: ['orders:read', 'a', 'a.b_c:d-e9'] }).scopes).toEqual(['orders:read', 'a', 'a.b_c:d-e9']);
    for (const bad of ['Orders:read', '1orders', '', 'orders read', 'a'.repeat(65), 'ordérs', ':read']) {
      const errors = errorsOf(() => create({ name: 'n', scopes: ['ok', bad] }));
      expect(errors).toEqual([{ path: 'scopes.1', message: expect.any(String) }]);
    }
    expect(create({ name: 'n', scopes: ['a'.repeat(64)] }).scopes).toEqual(['a'.repeat(64)]);
  });

  it('allow at most 20', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `scope${i}`);
    expect(create({ name: 'n', scopes: twenty }).scopes).toEqual(twenty);
    expect(errorsOf(() => create({ name: 'n', scopes: [...twenty, 'scope20'] }))).toEqual([
      { path: 'scopes', message: expect.stringMatching(/20/) },
    ]);
  });

  it('are de-duplicated, keeping first-seen order', () => {
    expect(create({ name: 'n', scopes: ['b', 'a', 'b', 'a', 'c'] }).scopes).toEqual(['b', 'a', 'c']);
    expect(update({ scopes: ['x', 'x'] }).scopes).toEqual(['x']);
  });

  it('must be an array of strings', () => {
    expect(errorsOf(() => create({ name: 'n', scopes: 'orders:read' }))[0].path).toBe('scopes');
    expect(errorsOf(() => create({ name: 'n', scopes: [1] }))[0].path).toBe('scopes.0');
  });
});

describe('expiresAt', () => {
  it('accepts ISO-8601 date-times with a zone and normalises them to UTC', () => {
    expect(create({ name: 'n', expiresAt: '2030-01-01T00:00:00Z' }).expiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(create({ name: 'n', expiresAt: '2030-01-01T02:00:00+02:00' }).expiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(create({ name: 'n', expiresAt: '2030-01-01T00:00:00.123456Z' }).expiresAt).toBe('2030-01-01T00:00:00.123Z');
    expect(create({ name: 'n', expiresAt: null }).expiresAt).toBeNull();
  });

  it('rejects other formats', () => {
    for (const bad of ['2030-01-01', '2030-01-01T00:00:00', 'tomorrow', '2030-13-01T00:00:00Z', '1893456000', 1893456000, true]) {
      expect(errorsOf(() => create({ name: 'n', expiresAt: bad }))).toEqual([{ path: 'expiresAt', message: expect.any(String) }]);
    }
  });
});

describe('unknown fields', () => {
  it('are rejected with an errors entry naming them', () => {
    const errors = errorsOf(() => create({ name: 'n', owner: 'me' }));
    expect(errors).toEqual([{ path: '(body)', message: expect.stringContaining('owner') }]);
    expect(errorsOf(() => update({ enabled: true, keyHash: 'x' }))[0].message).toContain('keyHash');
    expect(errorsOf(() => parseOrThrow(rotateKeyBodySchema, { grace: 5 }))[0].message).toContain('grace');
    expect(errorsOf(() => parseOrThrow(listKeysQuerySchema, { limit: '5', page: '2' }))[0].message).toContain('page');
  });

  it('cannot smuggle stored attributes into a create', () => {
    for (const field of ['tenantId', 'keyId', 'keyHash', 'enabled', 'createdAt', 'hint', 'lastUsedAt', 'ttl']) {
      expect(() => create({ name: 'n', [field]: 'x' })).toThrow(ValidationError);
    }
  });
});

describe('metadata names', () => {
  it('may be any of the pattern, those an object already has (constructor, toString …) included', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
      const parsed = create(JSON.parse(`{"name":"n","meta":{"${name}":"v"}}`));
      expect(Object.entries(parsed.meta ?? {})).toEqual([[name, 'v']]);
    }
  });

  it('refuses __proto__, which JSON.parse keeps as a member of its own, at its path', () => {
    for (const parse of [create, update]) {
      expect(errorsOf(() => parse(JSON.parse('{"name":"n","meta":{"__proto__":"v"}}')))).toEqual([
        { path: 'meta.__proto__', message: expect.stringContaining('starting with a letter') },
      ]);
    }
  });
});

describe('body shape', () => {
  it('must be an object', () => {
    for (const body of [undefined, null, 'name', 42, []]) {
      expect(errorsOf(() => create(body))).toEqual([{ path: '(body)', message: expect.any(String) }]);
    }
  });

  it('update must change at least one field', () => {
    expect(errorsOf(() => update({}))).toHaveLength(1);
    expect(update({ enabled: false })).toEqual({ enabled: false });
    expect(update({ expiresAt: null })).toEqual({ expiresAt: null });
    expect(() => update({ enabled: 'false' })).toThrow(ValidationError);
  });

  it('reports every problem at once', () => {
    const errors = errorsOf(() => create({ name: '', scopes: ['BAD'], expiresAt: 'soon' }));
    expect(errors.map((e) => e.path).sort()).toEqual(['expiresAt', 'name', 'scopes.0']);
  });
});

describe('rotate body', () => {
  const rotate = (body: unknown) => parseOrThrow(rotateKeyBodySchema, body);

  it('defaults gracePeriodSeconds to 0', () => {
    expect(rotate({})).toEqual({ gracePeriodSeconds: 0 });
  });

  it('allows 0–604800 whole seconds', () => {
    expect(rotate({ gracePeriodSeconds: 0 }).gracePeriodSeconds).toBe(0);
    expect(rotate({ gracePeriodSeconds: 604_800 }).gracePeriodSeconds).toBe(604_800);
    for (const bad of [-1, 604_801, 1.5, '60', null, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(errorsOf(() => rotate({ gracePeriodSeconds: bad }))).toEqual([
        { path: 'gracePeriodSeconds', message: expect.any(String) },
      ]);
    }
  });
});

describe('list query', () => {
  const list = (query: unknown) => parseOrThrow(listKeysQuerySchema, query);

  it('defaults limit to 20 and allows 1–100', () => {
    expect(list({})).toEqual({ limit: 20 });
    expect(list({ limit: '1' }).limit).toBe(1);
    expect(list({ limit: '100' }).limit).toBe(100);
    expect(list({ limit: '007' }).limit).toBe(7);
  });

  it('rejects limits out of range or not whole numbers', () => {
    for (const bad of ['0', '101', '1000', '-1', '1.5', 'ten', '', ' 5', '1e2']) {
      expect(errorsOf(() => list({ limit: bad }))).toEqual([{ path: 'limit', message: expect.any(String) }]);
    }
  });

  it('bounds the cursor length', () => {
    expect(list({ cursor: 'abc' }).cursor).toBe('abc');
    expect(errorsOf(() => list({ cursor: '' }))[0].path).toBe('cursor');
    expect(errorsOf(() => list({ cursor: 'a'.repeat(1025) }))[0].path).toBe('cursor');
  });
});

describe('parseOrThrow', () => {
  it('roots paths under the given name', () => {
    expect(errorsOf(() => parseOrThrow(tenantIdSchema, 'bad tenant', 'tenantId'))).toEqual([
      { path: 'tenantId', message: expect.any(String) },
    ]);
    expect(parseOrThrow(tenantIdSchema, 'acme', 'tenantId')).toBe('acme');
  });
});
