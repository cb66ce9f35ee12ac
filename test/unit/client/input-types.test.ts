/**
 * The client's request types are spelled out (its declarations need no zod);
 * these checks compile only while each one accepts exactly what the API's
 * schema takes as input, so a field added to or changed in a schema fails the build.
 */
import type { z } from 'zod';
import type { CreateKeyInput, KeyChanges, RevokeKeyInput, RotateKeyInput } from '../../../src/client';
import type {
  createKeyBodySchema,
  revokeKeyBodySchema,
  rotateKeyBodySchema,
  updateKeyBodySchema,
} from '../../../src/domain/validation';

/** `true` only when A and B are the same type: no field more or less, none of another type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const matches: Record<'create' | 'update' | 'rotate' | 'revoke', true> = {
  create: true satisfies Same<CreateKeyInput, z.input<typeof createKeyBodySchema>>,
  update: true satisfies Same<KeyChanges, z.input<typeof updateKeyBodySchema>>,
  rotate: true satisfies Same<RotateKeyInput, z.input<typeof rotateKeyBodySchema>>,
  revoke: true satisfies Same<RevokeKeyInput, z.input<typeof revokeKeyBodySchema>>,
};

describe('the client’s request types', () => {
  it('are the API schemas’ inputs (checked when this file compiles)', () => {
    expect(matches).toEqual({ create: true, update: true, rotate: true, revoke: true });
  });
});
