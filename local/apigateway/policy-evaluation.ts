/** A statement of an authorizer's policy as API Gateway applies it: Action and Resource always lists. */
export interface NormalizedStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
}

const INVOKE_ACTION = 'execute-api:Invoke';

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

/**
 * The statements of a policy document, or undefined when it is not one that
 * API Gateway could apply (it then answers 500 AUTHORIZER_CONFIGURATION_ERROR).
 */
export function parsePolicyDocument(document: unknown): NormalizedStatement[] | undefined {
  if (typeof document !== 'object' || document === null) return undefined;
  const raw = (document as { Statement?: unknown }).Statement;
  const statements = Array.isArray(raw) ? raw : [raw];
  const parsed: NormalizedStatement[] = [];
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null) return undefined;
    const { Effect, Action, Resource } = statement as Record<string, unknown>;
    const actions = stringList(Action);
    const resources = stringList(Resource);
    if ((Effect !== 'Allow' && Effect !== 'Deny') || !actions || !resources) return undefined;
    parsed.push({ Effect, Action: actions, Resource: resources });
  }
  return parsed;
}

function applies(statement: NormalizedStatement, methodArn: string): boolean {
  // Action names are case-insensitive in IAM; ARNs are not.
  return (
    statement.Action.some((action) => matchesWildcard(action, INVOKE_ACTION, true)) &&
    statement.Resource.some((resource) => matchesWildcard(resource, methodArn))
  );
}

/** API Gateway's rule: the call needs an Allow for its method ARN, and any matching Deny wins. */
export function isInvocationAllowed(statements: readonly NormalizedStatement[], methodArn: string): boolean {
  // A loop rather than filter and some: this runs on every request behind an authorizer, cached or not.
  let allowed = false;
  for (const statement of statements) {
    if (!applies(statement, methodArn)) continue;
    if (statement.Effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}

/** Compiled patterns, case-sensitive and not; the bound only matters if patterns ever came from somewhere unbounded. */
const compiledWildcards = { sensitive: new Map<string, RegExp>(), ignoringCase: new Map<string, RegExp>() };
const MAX_COMPILED_WILDCARDS = 10_000;

/**
 * IAM wildcards: `*` matches any run of characters, `/` included; `?` exactly one
 * character. Patterns are compiled once: the same few recur on every request.
 */
function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const compiledPatterns = ignoreCase ? compiledWildcards.ignoringCase : compiledWildcards.sensitive;
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    compiled = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    if (compiledPatterns.size >= MAX_COMPILED_WILDCARDS) compiledPatterns.clear();
    compiledPatterns.set(pattern, compiled);
  }
  return compiled.test(value);
}
