import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { type AuthorizerPolicy, policyFor } from '../src/authorizer-policy';
import { ENV, requiredEnv } from '../src/config';
import type { KeyRecord } from '../src/domain/api-key';
import { KeyVerifier } from '../src/domain/key-verification';
import { usageKeyValue } from '../src/domain/usage-key';
import { API_KEY_HEADER } from '../src/http-headers';
import { type CompiledMethods, decodeMethods } from '../src/protected-methods';
import { keyReadsFromEnvironment } from './shared/key-reads';
import { errorKind, logger } from './shared/logger';
import { recordUseInTime } from './shared/record-use';
import { verificationMetrics } from './shared/verification-metrics';

/**
 * API Gateway answers 401 (gateway response UNAUTHORIZED) for exactly this message.
 * One instance serves every refusal: building an Error (its stack) is most of what a refusal costs.
 */
const UNAUTHORIZED = new Error('Unauthorized');
/**
 * Every refusal made before a read returns this one promise, rejected once at
 * load (and marked handled then): a refusal builds no promise of its own and
 * waits on nothing.
 */
const REFUSED: Promise<never> = Promise.reject(UNAUTHORIZED);
REFUSED.catch(() => {});
/** Any other failure: API Gateway answers AUTHORIZER_CONFIGURATION_ERROR, which the stack maps to 503. */
const LOOKUP_FAILED = new Error('Key lookup failed');
const NO_DECLARATIONS = new Error('The stage declares no protected methods');

const verifier = new KeyVerifier({ store: keyReadsFromEnvironment() });
/** Each request counts against its tenant's usage plan, through the tenant's API Gateway API key. */
const usageKeyNamespace = requiredEnv(ENV.usageKeyNamespace);
const metrics = verificationMetrics('Authorizer');

/**
 * Each stage's declarations arrive with every event, in its stage variables, and
 * change only with a deployment: decoded once per text, and each key's policy
 * once per stage and set of scopes. Both are bounded, however many stages and keys call.
 */
const MAX_REMEMBERED = 1_000;
const decoded = new Map<string, CompiledMethods>();
const policies = new Map<string, AuthorizerPolicy>();

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= MAX_REMEMBERED) cache.clear();
  cache.set(key, value);
  return value;
}

function declarationsOf(event: APIGatewayRequestAuthorizerEvent): { text: string; methods: CompiledMethods } | undefined {
  const text = JSON.stringify(event.stageVariables ?? null);
  const known = decoded.get(text);
  if (known) return { text, methods: known };
  const methods = decodeMethods(event.stageVariables);
  return methods ? { text, methods: remember(decoded, text, methods) } : undefined;
}

function policyOf(event: APIGatewayRequestAuthorizerEvent, scopes: readonly string[]): AuthorizerPolicy {
  const declarations = declarationsOf(event);
  if (!declarations) {
    logger.error('The stage has no protected-method declarations in its stage variables; was it deployed by the construct?');
    throw NO_DECLARATIONS;
  }
  // The stage part of the method ARN: the policy is for the whole stage, whatever method asked.
  const stage = event.methodArn.split('/').slice(0, 2).join('/');
  const cacheKey = `${stage}\u0000${declarations.text}\u0000${scopes.join(' ')}`;
  return policies.get(cacheKey) ?? remember(policies, cacheKey, policyFor(event.methodArn, scopes, declarations.methods));
}

/** The key's metadata as flat context values, `meta.{name}`, beside the fixed ones. */
function metaContext(record: KeyRecord): Record<string, string> {
  return Object.fromEntries(Object.entries(record.meta ?? {}).map(([name, value]) => [`meta.${name}`, value]));
}

/**
 * The request's x-api-key, in any casing: undefined when there is none, `null`
 * when it was sent with two different values. API Gateway caches on one of
 * them, and it must be the one checked. Every refusal reads this, so it
 * allocates nothing: names of another length are not even lowercased.
 */
function apiKeyHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined | null {
  let found: string | undefined;
  const headers = event.headers ?? {};
  for (const name in headers) {
    if (name.length !== API_KEY_HEADER.length || name.toLowerCase() !== API_KEY_HEADER) continue;
    const value = headers[name];
    if (!value) continue;
    if (found !== undefined && found !== value) return null;
    found = value;
  }
  const multiValueHeaders = event.multiValueHeaders ?? {};
  for (const name in multiValueHeaders) {
    if (name.length !== API_KEY_HEADER.length || name.toLowerCase() !== API_KEY_HEADER) continue;
    for (const value of multiValueHeaders[name] ?? []) {
      if (!value) continue;
      if (found !== undefined && found !== value) return null;
      found = value;
    }
  }
  return found;
}

/**
 * The x-api-key REQUEST authorizer. Missing, malformed, unknown, disabled and
 * expired keys all get the same 401, counted by outcome; if the table cannot
 * be read it fails closed. A missing or malformed key is refused synchronously:
 * no read, no promise of its own, no log line.
 */
export function handler(event: APIGatewayRequestAuthorizerEvent, context?: Context): Promise<APIGatewayAuthorizerResult> {
  const presented = apiKeyHeader(event);
  const refusal = presented === null ? 'malformed' : verifier.refusalBeforeReading(presented);
  if (refusal !== undefined) {
    metrics.record(refusal);
    return REFUSED;
  }
  return authorize(event, presented as string, context);
}

async function authorize(
  event: APIGatewayRequestAuthorizerEvent,
  presented: string,
  context: Context | undefined,
): Promise<APIGatewayAuthorizerResult> {
  const startedAt = performance.now();
  let verification: Awaited<ReturnType<KeyVerifier['lookUp']>>;
  try {
    verification = await verifier.lookUp(presented);
  } catch (error) {
    logger.error('Key lookup failed; denying', { error: errorKind(error) });
    metrics.record('storeError', performance.now() - startedAt);
    throw LOOKUP_FAILED;
  }
  metrics.record(verification.outcome, performance.now() - startedAt);
  if (verification.outcome !== 'valid') throw UNAUTHORIZED;
  const record = verification.key;

  // Recorded for every authentication, whatever route was asked for: API Gateway
  // reuses this answer for all of the stage's routes until the cache expires.
  await recordUseInTime(verifier, record, context);

  return {
    principalId: record.keyId,
    policyDocument: policyOf(event, record.scopes),
    usageIdentifierKey: usageKeyValue(usageKeyNamespace, record.tenantId),
    context: {
      ...metaContext(record),
      tenantId: record.tenantId,
      keyId: record.keyId,
      keyName: record.name,
      scopes: record.scopes.join(' '),
      // Empty for a key that does not expire; self-service routes hold what a key grants to it.
      expiresAt: record.expiresAt ?? '',
    },
  };
}
