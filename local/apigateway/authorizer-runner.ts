import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { AuthorizerResultCache, CachedAuthorization } from './authorizer-result-cache';
import { isInvocationAllowed, parsePolicyDocument } from './policy-evaluation';

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<unknown>;

/**
 * What API Gateway makes of an authorizer call: `unauthorized` (401) when it
 * threw exactly "Unauthorized", `failed` for any other error, `misconfigured`
 * for an answer it cannot use (both AUTHORIZER_CONFIGURATION_ERROR), `denied`
 * (403) when the policy does not allow the method ARN.
 */
export type AuthorizerVerdict =
  | { outcome: 'allowed'; principalId: string; context: Record<string, string>; usageIdentifierKey?: string }
  | { outcome: 'unauthorized' | 'failed' | 'misconfigured' | 'denied' };

const UNAUTHORIZED_MESSAGE = 'Unauthorized';

/** Context values must be flat; API Gateway hands them on as strings. */
function parseContext(context: unknown): Record<string, string> | undefined {
  if (context === undefined || context === null) return {};
  if (typeof context !== 'object') return undefined;
  const parsed: Record<string, string> = {};
  for (const [name, value] of Object.entries(context)) {
    if (value === null || value === undefined) continue;
    if (!['string', 'number', 'boolean'].includes(typeof value)) return undefined;
    parsed[name] = String(value);
  }
  return parsed;
}

function parseResult(result: unknown): CachedAuthorization | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { principalId, policyDocument, context, usageIdentifierKey } = result as Record<string, unknown>;
  const statements = parsePolicyDocument(policyDocument);
  const parsedContext = parseContext(context);
  if (typeof principalId !== 'string' || principalId === '' || !statements || !parsedContext) return undefined;
  if (usageIdentifierKey !== undefined && typeof usageIdentifierKey !== 'string') return undefined;
  return { principalId, statements, context: parsedContext, ...(usageIdentifierKey ? { usageIdentifierKey } : {}) };
}

/**
 * Runs a REQUEST authorizer the way API Gateway does: cached by identity (the
 * usageIdentifierKey with the rest of the answer), policy applied per method ARN.
 * The event is built only when the authorizer is called: a cached answer, most
 * requests, needs none.
 */
export function createAuthorizerRunner(handler: AuthorizerHandler, cache: AuthorizerResultCache) {
  return async (
    identity: string,
    methodArn: string,
    event: () => APIGatewayRequestAuthorizerEvent,
  ): Promise<AuthorizerVerdict> => {
    let answer = cache.get(identity);
    if (!answer) {
      const generation = cache.generation;
      let result: unknown;
      try {
        result = await handler(event());
      } catch (error) {
        return { outcome: error instanceof Error && error.message === UNAUTHORIZED_MESSAGE ? 'unauthorized' : 'failed' };
      }
      answer = parseResult(result);
      if (!answer) {
        console.error('The authorizer returned no usable principalId, policyDocument and context');
        return { outcome: 'misconfigured' };
      }
      cache.set(identity, answer, generation);
    }
    if (!isInvocationAllowed(answer.statements, methodArn)) return { outcome: 'denied' };
    const { principalId, context, usageIdentifierKey } = answer;
    return { outcome: 'allowed', principalId, context, ...(usageIdentifierKey ? { usageIdentifierKey } : {}) };
  };
}

export type AuthorizerRunner = ReturnType<typeof createAuthorizerRunner>;
