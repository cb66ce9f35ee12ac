import { type FieldError, ValidationError } from './errors';

/**
 * A request body the lean handlers (POST /verify, POST /revoke) check without zod:
 * a JSON object of the `allowed` fields only, each checked by `check`, which adds
 * its field's problems. Every problem is listed in one ValidationError.
 */
export function bodyFields(
  body: unknown,
  allowed: ReadonlySet<string>,
  check: (fields: Record<string, unknown>) => FieldError[],
): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ path: '(body)', message: 'must be a JSON object' }]);
  }
  const fields = body as Record<string, unknown>;
  const errors = check(fields);
  const unknown = Object.keys(fields).filter((name) => !allowed.has(name));
  if (unknown.length > 0) errors.push({ path: '(body)', message: `unknown field(s): ${unknown.join(', ')}` });
  if (errors.length > 0) throw new ValidationError(errors);
  return fields;
}
