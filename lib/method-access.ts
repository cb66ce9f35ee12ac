import { Token } from 'aws-cdk-lib';
import { SCOPE_PATTERN } from '../src/domain/scope';

/** What a key needs to call a protected method. */
export class MethodAccess {
  /** A valid key that holds `scope`, such as `orders:read`. */
  static scope(scope: string): MethodAccess {
    // The declarations are written into the stage at synth time: a token would never reach the authorizer.
    if (Token.isUnresolved(scope)) throw new Error('MethodAccess.scope: the scope must be a literal, not a token');
    if (!SCOPE_PATTERN.test(scope)) {
      throw new Error(`MethodAccess.scope: "${scope}" is not a scope keys can hold: it must match ${SCOPE_PATTERN.source}`);
    }
    return new MethodAccess(scope);
  }

  /** Any valid key, whatever scopes it holds. */
  static anyValidKey(): MethodAccess {
    return new MethodAccess(undefined);
  }

  private constructor(
    /** The scope required; undefined for any valid key. */
    readonly scope: string | undefined,
  ) {}
}
