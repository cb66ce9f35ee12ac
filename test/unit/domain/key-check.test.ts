import fc from 'fast-check';
import { ValidationError } from '../../../src/domain/errors';
import { parseKeyCheckRequest } from '../../../src/domain/key-check';
import { parseOrThrow, verifyKeyBodySchema } from '../../../src/domain/validation';

/** What a parser made of a body: the request, or the paths of its field errors. */
function outcome(parse: (body: unknown) => unknown, body: unknown): unknown {
  try {
    return { parsed: parse(body) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { paths: [...new Set(error.errors.map((e) => e.path))].sort() };
  }
}

const scopeLike = fc.oneof(fc.constantFrom('orders:read', 'a', 'Orders', '', 'a'.repeat(64), 'a'.repeat(65), 'x y'), fc.string());
const bodies = fc.oneof(
  fc.anything(),
  fc.record(
    {
      key: fc.oneof(fc.string(), fc.constant('ak_x'), fc.anything()),
      scope: fc.oneof(scopeLike, fc.anything()),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);

describe('POST /verify’s body: the handler’s zod-free checks', () => {
  it('accept and refuse exactly what verifyKeyBodySchema (the document’s) does, at the same paths', () => {
    fc.assert(
      fc.property(bodies, (body) => {
        expect(outcome(parseKeyCheckRequest, body)).toEqual(outcome((b) => parseOrThrow(verifyKeyBodySchema, b), body));
      }),
      { numRuns: 2000 },
    );
  });
});
