import { bodyFields } from './body-fields';
import type { FieldError } from './errors';
import { SCOPE_MESSAGE, SCOPE_PATTERN } from './identifiers';
import type { Verification } from './key-verification';

/** POST /verify's question: may this key be used, for this scope if one is named? */
export interface KeyCheckRequest {
  key: string;
  scope?: string;
}

/**
 * POST /verify's answer. Every refusal of the authorizer (malformed, unknown,
 * disabled, expired) reads NOT_FOUND, so an answer tells no more than a 401 would.
 */
export type KeyCheck =
  | { valid: true; tenantId: string; keyId: string; name: string; scopes: string[]; meta: Record<string, string> }
  | { valid: false; code: 'NOT_FOUND' | 'INSUFFICIENT_SCOPE' };

const REQUEST_FIELDS = new Set(['key', 'scope']);

/**
 * The body's rules, checked without zod so POST /verify stays as lean as the
 * authorizer; verifyKeyBodySchema states the same rules for the OpenAPI document.
 */
export function parseKeyCheckRequest(body: unknown): KeyCheckRequest {
  const fields = bodyFields(body, REQUEST_FIELDS, ({ key, scope }) => {
    const errors: FieldError[] = [];
    if (typeof key !== 'string') errors.push({ path: 'key', message: 'must be a string' });
    if (scope !== undefined && (typeof scope !== 'string' || !SCOPE_PATTERN.test(scope))) {
      errors.push({ path: 'scope', message: SCOPE_MESSAGE });
    }
    return errors;
  });
  return fields.scope === undefined
    ? { key: fields.key as string }
    : { key: fields.key as string, scope: fields.scope as string };
}

/** The answer for what the verifier found: the authorizer's rules, plus the scope the caller asked about. */
export function keyCheckOf(verification: Verification, scope?: string): KeyCheck {
  if (verification.outcome !== 'valid') return { valid: false, code: 'NOT_FOUND' };
  const { key } = verification;
  if (scope !== undefined && !key.scopes.includes(scope)) return { valid: false, code: 'INSUFFICIENT_SCOPE' };
  return {
    valid: true,
    tenantId: key.tenantId,
    keyId: key.keyId,
    name: key.name,
    scopes: [...key.scopes],
    meta: { ...key.meta },
  };
}
