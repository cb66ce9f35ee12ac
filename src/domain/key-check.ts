import { type FieldError, ValidationError } from './errors';
import type { Verification } from './key-verification';
import { SCOPE_MESSAGE, SCOPE_PATTERN } from './scope';

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
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ path: '(body)', message: 'must be a JSON object' }]);
  }
  const fields = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof fields.key !== 'string') errors.push({ path: 'key', message: 'must be a string' });
  if (fields.scope !== undefined && (typeof fields.scope !== 'string' || !SCOPE_PATTERN.test(fields.scope))) {
    errors.push({ path: 'scope', message: SCOPE_MESSAGE });
  }
  const unknown = Object.keys(fields).filter((name) => !REQUEST_FIELDS.has(name));
  if (unknown.length > 0) errors.push({ path: '(body)', message: `unknown field(s): ${unknown.join(', ')}` });
  if (errors.length > 0) throw new ValidationError(errors);
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
