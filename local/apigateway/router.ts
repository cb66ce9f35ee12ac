import type { Route } from '../../src/routes';
import { percentDecode } from '../http/http-request';

export interface RouteMatch {
  route: Route;
  /** Decoded values of the route's `{param}` segments; null when it has none, as in API Gateway's events. */
  pathParameters: Record<string, string> | null;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  parameterNames: string[];
}

function compile(route: Route): CompiledRoute {
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

/** Matches a method and a raw (still percent-encoded) path against the route table. */
export function createRouter(routes: readonly Route[]): (method: string, rawPath: string) => RouteMatch | undefined {
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
