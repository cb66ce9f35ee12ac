import type { KeyRecord } from './domain/api-key';
import { ROUTES, type Route, routeResourcePath } from './routes';

/** One statement of the IAM policy a Lambda authorizer returns to API Gateway. */
export interface AuthorizerPolicyStatement {
  Action: 'execute-api:Invoke';
  Effect: 'Allow' | 'Deny';
  Resource: string;
}

export interface AuthorizerPolicy {
  Version: '2012-10-17';
  Statement: AuthorizerPolicyStatement[];
}

export interface MethodArn {
  partition: string;
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
  method: string;
  /** The request's resource path, without a leading slash. */
  resourcePath: string;
}

/** Splits `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`; the path may hold colons. */
export function parseMethodArn(methodArn: string): MethodArn {
  const parts = methodArn.split(':');
  const resource = parts.slice(5).join(':');
  const [apiId, stage, method, ...path] = resource.split('/');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'execute-api' || !apiId || !stage || !method) {
    throw new Error('Not an execute-api method ARN');
  }
  return { partition: parts[1], region: parts[3], accountId: parts[4], apiId, stage, method, resourcePath: path.join('/') };
}

function stageArnOf(arn: MethodArn): string {
  return `arn:${arn.partition}:execute-api:${arn.region}:${arn.accountId}:${arn.apiId}/${arn.stage}`;
}

function allow(resource: string): AuthorizerPolicyStatement {
  return { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource };
}

/** Allows these routes across the stage of `arn`, so that a cached answer is right for every one of them. */
function allowRoutes(arn: MethodArn, routes: readonly Route[]): AuthorizerPolicy {
  const stageArn = stageArnOf(arn);
  return { Version: '2012-10-17', Statement: routes.map((route) => allow(`${stageArn}/${routeResourcePath(route)}`)) };
}

/**
 * Allows every route the key's scopes reach, across the whole stage, so that a
 * result API Gateway caches for one route is right for all of them. A RestApi
 * other than the service's own (one that borrowed the authorizer) is allowed
 * whole: its backend checks the `scopes` context value itself.
 */
export function policyFor(methodArn: string, record: Pick<KeyRecord, 'scopes'>, serviceApiId?: string): AuthorizerPolicy {
  const arn = parseMethodArn(methodArn);
  if (serviceApiId !== undefined && arn.apiId !== serviceApiId) {
    return { Version: '2012-10-17', Statement: [allow(`${stageArnOf(arn)}/*`)] };
  }
  const reachable = ROUTES.filter((route) => route.authorization === 'apiKey').filter(
    (route) => route.scope === undefined || record.scopes.includes(route.scope),
  );
  return allowRoutes(arn, reachable);
}

/** A signed-in console user may call every console route of the stage; what it may grant is the domain's to judge. */
export function consoleUserPolicyFor(methodArn: string): AuthorizerPolicy {
  return allowRoutes(
    parseMethodArn(methodArn),
    ROUTES.filter((route) => route.authorization === 'jwt'),
  );
}

/** Compiled patterns; the bound only matters if patterns ever came from somewhere unbounded. */
const compiledWildcards = new Map<string, RegExp>();
const MAX_COMPILED_WILDCARDS = 10_000;

/**
 * IAM wildcards: `*` matches any run of characters, `/` included; `?` exactly one
 * character. Patterns are compiled once: the same few recur on every request.
 */
export function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const cacheKey = ignoreCase ? `i:${pattern}` : `s:${pattern}`;
  let compiled = compiledWildcards.get(cacheKey);
  if (!compiled) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    compiled = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    if (compiledWildcards.size >= MAX_COMPILED_WILDCARDS) compiledWildcards.clear();
    compiledWildcards.set(cacheKey, compiled);
  }
  return compiled.test(value);
}
