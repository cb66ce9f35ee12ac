import { IDEMPOTENCY_KEY_HEADER } from '../http-headers';
import { OPERATIONS, type Route, routePath } from '../routes';
import type { CallOptions, Transport } from './transport';

export interface RouteRequest extends CallOptions {
  /** A value for each `{param}` of the route's path. */
  parameters?: Readonly<Record<string, string>>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** For an operation that takes one: makes the request safe to repeat. */
  idempotencyKey?: string;
}

/**
 * Sends a request to one route of the route table: its method and path from the
 * table, and retried only if that does no harm. Every operation sets values
 * outright or only reads, except those that issue a key, which are repeatable
 * only with an Idempotency-Key. The parsed answer, or an ApiProblemError.
 */
export async function callRoute(transport: Transport, route: Route, request: RouteRequest = {}): Promise<unknown> {
  const { idempotencyKey, parameters, query, body, signal } = request;
  const response = await transport.send({
    method: route.method,
    path: routePath(route, parameters),
    query,
    body,
    headers: idempotencyKey === undefined ? {} : { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey },
    repeatable: idempotencyKey !== undefined || !OPERATIONS[route.handler].idempotent,
    signal,
  });
  return response.body;
}
