import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { AuthorizerCache, CachedAuthorization } from './authorizer-cache';
import { isInvocationAllowed, parsePolicyDocument } from './policy';

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<unknown>;

/**
 * What API Gateway makes of an authorizer call: `unauthorized` (401) when it
 * threw exactly "Unauthorized", `failed` (503 here) for any other error,
 * `misconfigured` (500) for an answer it cannot use, `denied` (403) when the
 * policy does not allow the method ARN.
 */
export type Authorization =
  | { outcome: 'allowed'; principalId: string; context: Record<string, string> }
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
  const { principalId, policyDocument, context } = result as Record<string, unknown>;
  const statements = parsePolicyDocument(policyDocument);
  const parsedContext = parseContext(context);
  if (typeof principalId !== 'string' || principalId === '' || !statements || !parsedContext) return undefined;
  return { principalId, statements, context: parsedContext };
}

/** Runs a REQUEST authorizer the way API Gateway does: cached by identity, policy applied per method ARN. */
export class AuthorizerRunner {
  constructor(
    private readonly handler: AuthorizerHandler,
    private readonly cache: AuthorizerCache,
  ) {}

  async authorize(identity: string, event: APIGatewayRequestAuthorizerEvent): Promise<Authorization> {
    let answer = this.cache.get(identity);
    if (!answer) {
      const generation = this.cache.generation;
      let result: unknown;
      try {
        result = await this.handler(event);
      } catch (error) {
        return { outcome: error instanceof Error && error.message === UNAUTHORIZED_MESSAGE ? 'unauthorized' : 'failed' };
      }
      answer = parseResult(result);
      if (!answer) {
        console.error('The authorizer returned no usable principalId, policyDocument and context');
        return { outcome: 'misconfigured' };
      }
      this.cache.set(identity, answer, generation);
    }
    if (!isInvocationAllowed(answer.statements, event.methodArn)) return { outcome: 'denied' };
    return { outcome: 'allowed', principalId: answer.principalId, context: answer.context };
  }
}
