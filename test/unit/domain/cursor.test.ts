import fc from 'fast-check';
import { decodeCursor, encodeCursor } from '../../../src/domain/cursor';
import { ValidationError } from '../../../src/domain/errors';
import { testKeyId } from '../../fixtures/keys';

const position = { keyId: testKeyId() };

function expectInvalid(tenantId: string, cursor: string) {
  let caught: unknown;
  try {
    decodeCursor(tenantId, cursor);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');

describe('cursor', () => {
  it('never carries a key hash', () => {
    const payload = JSON.parse(Buffer.from(encodeCursor('acme', position), 'base64url').toString('utf8'));
    expect(payload).toEqual({ t: 'acme', k: position.keyId });
  });

  it('round-trips within a tenant and is URL-safe', () => {
    const cursor = encodeCursor('acme', position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('acme', cursor)).toEqual(position);
  });

  it('is refused by another tenant', () => {
    expectInvalid('globex', encodeCursor('acme', position));
    expectInvalid('ACME', encodeCursor('acme', position));
  });

  it('is refused when tampered with', () => {
    const cursor = encodeCursor('acme', position);
    expectInvalid('acme', `${cursor}!`);
    expectInvalid('acme', `${cursor.replace(/=*$/, '')}%3D`);
    expectInvalid('acme', cursor.slice(0, -4));
    expectInvalid('acme', 'not-a-cursor');
    expectInvalid('acme', b64('not json'));
    expectInvalid('acme', b64({ t: 'acme' }));
    expectInvalid('acme', b64({ t: 'acme', k: position.keyId, x: 1 }));
    expectInvalid('acme', b64({ t: 'acme', k: 'key_bad' }));
    expectInvalid('acme', b64({ t: 'acme', k: position.keyId, h: '0'.repeat(64) }));
    expectInvalid('acme', b64([1, 2, 3]));
    expectInvalid('acme', b64(null));
  });

  it('is refused with characters appended or in a non-canonical encoding', () => {
    // Node's base64 decoder ignores trailing bits, so these decode to the very same JSON.
    const cursor = encodeCursor('acme', position);
    expectInvalid('acme', `${cursor}x`);
    expectInvalid('acme', `${cursor}A`);
    expectInvalid('acme', `${cursor}xy`.slice(0, cursor.length + 1));
  });

  it('rejects arbitrary strings (property)', () => {
    const valid = encodeCursor('acme', position);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (text) => {
        fc.pre(text !== valid);
        expect(() => decodeCursor('acme', text)).toThrow(ValidationError);
      }),
    );
  });

  it('any single-character change either fails or still names this tenant and a well-formed position', () => {
    const cursor = encodeCursor('acme', position);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...alphabet), (index, char) => {
        fc.pre(cursor[index] !== char);
        const tampered = cursor.slice(0, index) + char + cursor.slice(index + 1);
        try {
          const decoded = decodeCursor('acme', tampered);
          expect(decoded.keyId).toMatch(/^key_[0-9A-HJKMNP-TV-Z]{26}$/);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
    );
  });
});
