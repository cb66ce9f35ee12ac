import type { Caller } from './caller';
import { type FieldError, ValidationError } from './errors';
import { revokeKey } from './key-commands/revoke-key';
import { hashKey, parseKey } from './key-format';
import type { KeyService } from './key-service';

/**
 * POST /revoke: whoever holds a key may end it, with the key itself. Its answer
 * is the same whether the key was live, revoked already or unknown, and every
 * well-formed key costs the same one read by hash, so the route tells nobody
 * which keys exist. What it cannot hide: a key that was live is revoked, a write
 * and a flush more, which the one who sent it ended themselves.
 */

/** POST /revoke's one answer. */
export interface RevocationAccepted {
  status: 'accepted';
  detail: string;
}

export const REVOCATION_ACCEPTED: RevocationAccepted = {
  status: 'accepted',
  detail: 'If this is a key of this service, it is revoked: it no longer works anywhere, for good.',
};

const REQUEST_FIELDS = new Set(['key']);

/**
 * The key POST /revoke's body names, checked without zod (revokeKeyBySecretBodySchema
 * states the same rules for the OpenAPI document): `{"key"}`, a key whose format and
 * checksum are right. Anything else is a 400, before any read.
 */
export function parseRevocationRequest(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ path: '(body)', message: 'must be a JSON object' }]);
  }
  const fields = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof fields.key !== 'string') errors.push({ path: 'key', message: 'must be a string' });
  else if (!parseKey(fields.key)) {
    errors.push({ path: 'key', message: 'is not a key: its format or checksum is wrong' });
  }
  const unknown = Object.keys(fields).filter((name) => !REQUEST_FIELDS.has(name));
  if (unknown.length > 0) errors.push({ path: '(body)', message: `unknown field(s): ${unknown.join(', ')}` });
  if (errors.length > 0) throw new ValidationError(errors);
  return fields.key as string;
}

/** Revokes the key `key` names, if there is one, as its holder (leaked): nothing is answered of it. */
export async function revokeBySecret(
  service: Pick<KeyService, 'runOnSecrets'>,
  key: string,
  holder: Caller & { kind: 'holder' },
): Promise<RevocationAccepted> {
  await service.runOnSecrets(revokeKey, [{ keyHash: hashKey(key), input: { reason: 'leaked' }, caller: holder }]);
  return REVOCATION_ACCEPTED;
}
