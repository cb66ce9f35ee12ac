import { percentDecode } from '../http/http-request';

/** What routing needs of a route: its method and its resource path with `{param}` segments. */
export interface RoutableMethod {
  method: string;
  path: string;
}

export interface RouteMatch<R extends RoutableMethod = RoutableMethod> {
  route: R;
  /** Decoded values of the route's `{param}` segments; null when it has none, as in API Gateway's events. */
  pathParameters: Record<string, string> | null;
}

interface CompiledRoute<R> {
  route: R;
  pattern: RegExp;
  parameterNames: string[];
}

function compile<R extends RoutableMethod>(route: R): CompiledRoute<R> {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{([^}]+)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1]);
      return '([^/]+)'; // a parameter is never empty and never spans segments
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), parameterNames };
}

/** Matches a method and a raw (still percent-encoded) path against an API's routes. */
export function createRouter<R extends RoutableMethod>(
  routes: readonly R[],
): (method: string, rawPath: string) => RouteMatch<R> | undefined {
  const compiled = routes.map(compile);
  return (method, rawPath) => {
    for (const { route, pattern, parameterNames } of compiled) {
      if (route.method !== method) continue;
      const found = pattern.exec(rawPath);
      if (!found) continue;
      if (parameterNames.length === 0) return { route, pathParameters: null };
      const pathParameters = Object.fromEntries(parameterNames.map((name, i) => [name, percentDecode(found[i + 1])]));
      return { route, pathParameters };
    }
    return undefined;
  };
}
