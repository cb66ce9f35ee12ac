import { createHash } from 'node:crypto';
import { ValidationError } from './errors';

/**
 * Idempotent creates and rotations. A client sends an `Idempotency-Key`; the
 * first request with it claims the key and names, up front, the id of the key it
 * is about to issue. A repeat of the same request (same key, same body, same
 * caller) gets that key back instead of a second one. The secret is never stored,
 * so a repeat cannot show it again: it answers the key without its secret.
 *
 * The key issued carries the request's id, and the delivery of the key's first
 * audit record completes the request (audit-delivery.ts): the request's own
 * answer waits on no write after the key's. Until then, a repeat that finds the
 * key it names issued is answered with it all the same.
 */
export interface IdempotentRequest {
  tenantId: string;
  /** A digest of what the request does, as whom, and the client's Idempotency-Key, which is never stored itself. */
  id: string;
  /** A digest of the request's validated input: a repeat with another body is not a repeat. */
  fingerprint: string;
}

/**
 * What became of the claim. `resumable`: an earlier attempt claimed it and never
 * finished; this one takes it over. `inProgress`: an earlier attempt holds it,
 * and may have issued its key already.
 */
export type IdempotencyClaim =
  | { outcome: 'claimed' }
  | { outcome: 'resumable'; keyId: string }
  | { outcome: 'completed'; keyId: string }
  | { outcome: 'mismatch' }
  | { outcome: 'inProgress'; keyId?: string };

/** The port the domain needs to remember idempotent requests; the tenant table's store is its adapter. */
export interface IdempotencyRecords {
  /**
   * Claims the key for this request, which will issue `keyId`, until `leaseUntil`
   * (after which another attempt may take it over); the record lasts until `expiresAt`.
   */
  claim(
    request: IdempotentRequest,
    keyId: string,
    times: { now: string; leaseUntil: string; expiresAt: string },
  ): Promise<IdempotencyClaim>;
  /** Marks the request done: repeats from now on get its key. Safe to repeat, and a no-op once the record has expired. */
  complete(tenantId: string, requestId: string): Promise<void>;
  /**
   * Ends the claim held until `leaseUntil` early, because its attempt failed: a
   * retry need not wait for the lease, and takes it over (keeping the key id, in
   * case the failed attempt's key was written after all). A claim its attempt's
   * own key completed (its record delivered) is reopened too: the attempt may
   * have withdrawn that key since, as it undid its change, and the retry finds
   * the key if it stands, or issues it.
   */
  release(request: IdempotentRequest, leaseUntil: string): Promise<void>;
}

/** How long a key is remembered: repeats within a day are repeats. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How long a claim holds before another attempt may take it over: longer than any handler runs. */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The client's key, checked: 1 to 255 printable ASCII characters, no spaces. */
function parseIdempotencyKey(value: string): string {
  if (!IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw new ValidationError([
      { path: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters, without spaces' },
    ]);
  }
  return value;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The request `idempotencyKey` names: what it does (`scope`, e.g. `create:admin`
 * or `rotate:key_…:user:…`), in which tenant, and a digest of its input, so a
 * repeat can be told from another request under the same key.
 */
export function idempotentRequestOf(tenantId: string, scope: string, idempotencyKey: string, input: unknown): IdempotentRequest {
  const key = parseIdempotencyKey(idempotencyKey);
  return { tenantId, id: sha256(`${scope}\u0000${key}`), fingerprint: sha256(JSON.stringify(input)) };
}
