import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { consoleUserPolicyFor } from '../src/authorizer-policy';
import { ENV, requiredEnv } from '../src/config';
import { TENANT_ID_PATTERN } from '../src/domain/identifiers';
import { errorKind, logger } from './shared/logger';

/** API Gateway answers 401 (gateway response UNAUTHORIZED) for exactly this message. */
const UNAUTHORIZED = new Error('Unauthorized');
/** Any other failure: API Gateway answers AUTHORIZER_CONFIGURATION_ERROR, which the stack maps to 503. */
const ISSUER_UNREACHABLE = new Error('The identity provider could not be reached');

/**
 * Asymmetric signatures only. `none` is never allowed, nor HMAC: with a public
 * JWKS, an HS256 token "signed" with a public key would otherwise verify.
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Within the function's 5 s timeout, with time left to answer. */
const JWKS_TIMEOUT_MS = 2_000;
/**
 * The token types the console's calls carry: an ID token (usually untyped, or
 * `JWT`) or an OAuth access token (`at+jwt`, RFC 9068). The issuer signs other
 * JWTs with the same keys, for the same client (logout tokens, security
 * events), which are no sign-in.
 */
const TOKEN_TYPES = new Set(['jwt', 'at+jwt']);
/** A token issued further ahead of this function's clock than a working clock drifts was not issued now. */
const MAX_ISSUED_AHEAD_SECONDS = 5 * 60;

/** What the token itself got wrong, as opposed to the issuer failing to answer: these are 401s. */
const TOKEN_FAULTS = new Set([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

const issuer = requiredEnv(ENV.consoleIssuer);
const audience = requiredEnv(ENV.consoleClientId);
const tenantClaim = requiredEnv(ENV.consoleTenantClaim);
const grantableScopes = process.env[ENV.consoleScopes] ?? '';

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * The issuer's signing keys, found through its discovery document (OpenID Connect
 * Discovery 1.0, section 4) once per container; jose caches the keys and fetches
 * them again when a token names a key it has not seen (a rotation). A failed
 * discovery is retried on the next request.
 */
let keySet: Promise<KeySet> | undefined;
function issuerKeys(): Promise<KeySet> {
  keySet ??= discoverKeySet().catch((error: unknown) => {
    keySet = undefined;
    throw error;
  });
  return keySet;
}

async function discoverKeySet(): Promise<KeySet> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`Discovery answered ${response.status}`);
  const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // The document must be the issuer's own (section 4.3), or its keys could be anyone's.
  if (metadata.issuer !== issuer || typeof metadata.jwks_uri !== 'string') throw new Error('Discovery names another issuer');
  return createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: JWKS_TIMEOUT_MS });
}

/**
 * The bearer token of the request's Authorization header: undefined when there is
 * none, or when it was sent twice with different values (API Gateway would cache
 * the answer under one of them while this judged the other).
 */
function bearerToken(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (name.toLowerCase() === 'authorization' && value) values.add(value);
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'authorization') for (const value of list ?? []) if (value) values.add(value);
  }
  if (values.size !== 1) return undefined;
  const match = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec([...values][0]);
  return match?.[1];
}

async function verify(token: string): Promise<{ claims: JWTPayload; type: unknown }> {
  const keys = await issuerKeys();
  const { payload, protectedHeader } = await jwtVerify(token, keys, {
    issuer,
    audience,
    algorithms: ALGORITHMS,
    requiredClaims: ['exp', 'sub'],
  });
  return { claims: payload, type: protectedHeader.typ };
}

/** A media type as `typ` names it: in any case, `application/` left out (RFC 7515, section 4.1.9). */
const mediaType = (type: string) => type.toLowerCase().replace(/^application\/(?=[^/]*$)/, '');

/** Why a token whose signature and validity jose accepted is still no console user's, if it is not. */
function refusalOf({ claims, type }: { claims: JWTPayload; type: unknown }): string | undefined {
  if (type !== undefined && (typeof type !== 'string' || !TOKEN_TYPES.has(mediaType(type)))) return 'another type of token';
  if (typeof claims.iat === 'number' && claims.iat > Date.now() / 1000 + MAX_ISSUED_AHEAD_SECONDS) return 'issued ahead';
  if (typeof claims.sub !== 'string' || claims.sub === '') return 'no subject';
  const tenantId = claims[tenantClaim];
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) return 'no tenant';
  return undefined;
}

/**
 * The console users' REQUEST authorizer: the bearer token must be a JWT of the
 * configured issuer, signed with one of its keys, for the console's client, in its
 * validity period, and name a tenant. The tenant comes from the token alone.
 * Refusals are 401; an issuer that cannot be reached fails closed with 503.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const token = bearerToken(event);
  if (token === undefined) {
    logger.debug('Token refused', { outcome: 'missing' });
    throw UNAUTHORIZED;
  }
  let verified: Awaited<ReturnType<typeof verify>>;
  try {
    verified = await verify(token);
  } catch (error) {
    if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) {
      logger.debug('Token refused', { outcome: error.code });
      throw UNAUTHORIZED;
    }
    logger.error('Could not check a token against the issuer; denying', { error: errorKind(error) });
    throw ISSUER_UNREACHABLE;
  }
  const refusal = refusalOf(verified);
  if (refusal) {
    logger.debug('Token refused', { outcome: refusal });
    throw UNAUTHORIZED;
  }
  const { claims } = verified;
  const [tenantId, sub] = [claims[tenantClaim] as string, claims.sub as string];
  return {
    principalId: sub,
    policyDocument: consoleUserPolicyFor(event.methodArn),
    context: {
      tenantId,
      sub,
      email: typeof claims.email === 'string' ? claims.email : '',
      scopes: grantableScopes,
    },
  };
}
