import type { KeyRecord } from './domain/api-key';
import { ROUTES, routeResourcePath } from './routes';

export interface PolicyStatement {
  Action: 'execute-api:Invoke';
  Effect: 'Allow' | 'Deny';
  Resource: string;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
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

/**
 * Allows every route the key's scopes reach, across the whole stage, so that a
 * result API Gateway caches for one route is right for all of them. A RestApi
 * other than the service's own (one that borrowed the authorizer) is allowed
 * whole: its backend checks the `scopes` context value itself.
 */
export function policyFor(methodArn: string, record: Pick<KeyRecord, 'scopes'>, serviceApiId?: string): PolicyDocument {
  const arn = parseMethodArn(methodArn);
  const stageArn = `arn:${arn.partition}:execute-api:${arn.region}:${arn.accountId}:${arn.apiId}/${arn.stage}`;
  const allow = (resource: string): PolicyStatement => ({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource });

  if (serviceApiId !== undefined && arn.apiId !== serviceApiId) {
    return { Version: '2012-10-17', Statement: [allow(`${stageArn}/*`)] };
  }
  const statements = ROUTES.filter((route) => route.authorization === 'apiKey')
    .filter((route) => route.scope === undefined || record.scopes.includes(route.scope))
    .map((route) => allow(`${stageArn}/${routeResourcePath(route)}`));
  return { Version: '2012-10-17', Statement: statements };
}

/** IAM wildcards: `*` matches any run of characters, `/` included; `?` exactly one character. */
export function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}
