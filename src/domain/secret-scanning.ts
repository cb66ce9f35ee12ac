import { createPublicKey, verify } from 'node:crypto';
import { SignatureError } from './errors';
import { revokeKey } from './key-commands/revoke-key';
import { hashKey, parseKey } from './key-format';
import type { KeyService, SecretBatchOptions } from './key-service';
import type { SigningKeys } from './signing-keys';
import { parseOrThrow, type ScannedToken, secretScanningReportSchema } from './validation';

/**
 * GitHub's secret scanning partner program: GitHub finds strings that match the
 * deployment's key pattern in public places and posts them, signed, to
 * POST /secret-scanning/github. Each one that is a key of this service is revoked
 * (by `{"type":"scanner","source":"github"}`, where it was found kept in the
 * record), all in one batch with one flush of the authorizer caches, and GitHub
 * is told, token by token, which were real: by the token's SHA-256, never the token.
 */

/** What GitHub's signature headers carry: which of its keys signed, and the signature (base64 DER). */
export interface PayloadSignature {
  keyIdentifier: string | undefined;
  signature: string | undefined;
}

/** GitHub's feedback format, one entry per token it sent. */
export interface TokenFeedback {
  /** Lowercase hex SHA-256 of the token as sent: for a key of this service, its `keyHash`. */
  token_hash: string;
  token_type: string;
  label: 'true_positive' | 'false_positive';
}

/** Where a token was found is kept in the record, up to this many characters (an item holds at most 400 KB). */
const MAX_URL_LENGTH = 2048;

/** Only GitHub's algorithm, ECDSA on NIST P-256 with SHA-256: a key of any other kind verifies nothing. */
const CURVE = 'prime256v1';

export class SecretScanning {
  constructor(private readonly options: { keys: SigningKeys; service: Pick<KeyService, 'runOnSecrets'> }) {}

  /**
   * A payload, as sent: checked to be GitHub's (SignatureError otherwise, and
   * nothing is read or written), then parsed by `parse` (the HTTP edge's JSON), each
   * key in it revoked, and GitHub's feedback answered. With `batch.mayStart`, a
   * payload that time cuts short fails (BatchCutShortError) once what was revoked is
   * flushed: GitHub sends it again.
   */
  async report(
    body: Buffer,
    signature: PayloadSignature,
    parse: (body: Buffer) => unknown,
    batch: SecretBatchOptions = {},
  ): Promise<TokenFeedback[]> {
    await this.verify(body, signature);
    const tokens = parseOrThrow(secretScanningReportSchema, parse(body));
    // One revocation per key, however often the payload names it: where it was first found, with a place named.
    const keys = new Map<string, ScannedToken>();
    for (const token of tokens) {
      if (!parseKey(token.token)) continue;
      const keyHash = hashKey(token.token);
      if (!keys.get(keyHash)?.url) keys.set(keyHash, token);
    }
    const hashes = [...keys.keys()];
    const revoked = await this.options.service.runOnSecrets(
      revokeKey,
      hashes.map((keyHash) => ({
        keyHash,
        input: { reason: 'leaked' as const },
        caller: { kind: 'scanner' as const, source: 'github' as const, url: placeOf(keys.get(keyHash)?.url) },
      })),
      batch,
    );
    const real = new Set(hashes.filter((_, index) => revoked[index] !== undefined));
    return tokens.map((token) => {
      const tokenHash = hashKey(token.token);
      return { token_hash: tokenHash, token_type: token.type, label: real.has(tokenHash) ? 'true_positive' : 'false_positive' };
    });
  }

  private async verify(body: Buffer, { keyIdentifier, signature }: PayloadSignature): Promise<void> {
    if (!keyIdentifier || !signature) {
      throw new SignatureError('The payload must be signed: Github-Public-Key-Identifier and Github-Public-Key-Signature.');
    }
    const pem = await this.options.keys.publicKeyFor(keyIdentifier);
    if (pem === undefined) throw new SignatureError('Github-Public-Key-Identifier names no key GitHub publishes.');
    if (!isSignedBy(pem, body, Buffer.from(signature, 'base64'))) {
      throw new SignatureError('Github-Public-Key-Signature is not a signature of this payload by that key.');
    }
  }
}

/** Whether `signature` (DER) is an ECDSA P-256 SHA-256 signature of `body` by the PEM key; a key that is not one signs nothing. */
function isSignedBy(pem: string, body: Buffer, signature: Buffer): boolean {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== CURVE) return false;
    return verify('sha256', body, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

function placeOf(url: string | undefined): string | null {
  return url ? url.slice(0, MAX_URL_LENGTH) : null;
}
