import type { CompiledMethods } from './protected-methods';
import { ROUTES, routePathPattern } from './routes';

/** One statement of the IAM policy a Lambda authorizer returns to API Gateway. */
export interface AuthorizerPolicyStatement {
  Action: 'execute-api:Invoke';
  Effect: 'Allow' | 'Deny';
  Resource: string[];
}

export interface AuthorizerPolicy {
  Version: '2012-10-17';
  Statement: AuthorizerPolicyStatement[];
}

interface MethodArn {
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
function parseMethodArn(methodArn: string): MethodArn {
  const parts = methodArn.split(':');
  const resource = parts.slice(5).join(':');
  const [apiId, stage, method, ...path] = resource.split('/');
  if (parts.length < 6 || parts[0] !== 'arn' || parts[2] !== 'execute-api' || !apiId || !stage || !method) {
    throw new Error('Not an execute-api method ARN');
  }
  return { partition: parts[1], region: parts[3], accountId: parts[4], apiId, stage, method, resourcePath: path.join('/') };
}

/** `arn:{partition}:execute-api:{region}:{account}:{api}/{stage}`: the stage every resource of the policy is under. */
function stageResourceArn(arn: MethodArn): string {
  return `arn:${arn.partition}:execute-api:${arn.region}:${arn.accountId}:${arn.apiId}/${arn.stage}`;
}

/**
 * The policy for one key on one stage, right for every method of the stage, so
 * that an answer API Gateway caches on one method holds on all of them: Allow
 * for each method the key may call (one resource for the whole stage when it
 * may call them all), and Deny for each method it may not call that one of
 * those Allows would otherwise reach (see compileMethods).
 */
export function policyFor(methodArn: string, scopes: readonly string[], compiled: CompiledMethods): AuthorizerPolicy {
  const stageArn = stageResourceArn(parseMethodArn(methodArn));
  const { methods } = compiled;
  const allowed = methods.map((method) => method.scope === undefined || scopes.includes(method.scope));
  const statement = (Effect: 'Allow' | 'Deny', Resource: string[]): AuthorizerPolicyStatement => ({
    Action: 'execute-api:Invoke',
    Effect,
    Resource,
  });
  if (allowed.every(Boolean)) return { Version: '2012-10-17', Statement: [statement('Allow', [`${stageArn}/*`])] };
  if (!allowed.some(Boolean)) return { Version: '2012-10-17', Statement: [statement('Deny', [`${stageArn}/*`])] };
  const resources = (method: CompiledMethods['methods'][number]) => method.patterns.map((pattern) => `${stageArn}/${pattern}`);
  const allows = methods.filter((_, index) => allowed[index]).flatMap(resources);
  const denies = methods
    .filter((method, index) => !allowed[index] && method.reachedBy.some((source) => allowed[source]))
    .flatMap(resources);
  const statements = [statement('Allow', allows)];
  if (denies.length > 0) statements.push(statement('Deny', denies));
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * A signed-in console user may call every console route of the stage; what it
 * may grant is the domain's to judge. The JWT authorizer's answers are not
 * cached, so this names the console routes alone.
 */
export function consoleUserPolicyFor(methodArn: string): AuthorizerPolicy {
  const stageArn = stageResourceArn(parseMethodArn(methodArn));
  const resources = ROUTES.filter((route) => route.authorization === 'jwt').map(
    (route) => `${stageArn}/${route.method}${routePathPattern(route)}`,
  );
  return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources }] };
}
