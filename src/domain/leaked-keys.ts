import { bodyFields } from './body-fields';
import type { Caller } from './caller';
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

const REVOCATION_ACCEPTED: RevocationAccepted = {
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
  const { key } = bodyFields(body, REQUEST_FIELDS, ({ key }) => {
    if (typeof key !== 'string') return [{ path: 'key', message: 'must be a string' }];
    return parseKey(key) ? [] : [{ path: 'key', message: 'is not a key: its format or checksum is wrong' }];
  });
  return key as string;
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
