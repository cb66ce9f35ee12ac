import * as z from 'zod/mini';
import { listAuditQuerySchema, listKeysQuerySchema, parseOrThrow, usageQuerySchema } from './domain/validation';
import { QUERIES, type QuerySchemaName, routeOf } from './routes';

/**
 * The query strings the routes take (QUERIES in the route table), by name: the
 * one place from which the OpenAPI document lists a route's query
 * parameters and the edge (lambdas/shared/http.ts) refuses any other before the
 * handler runs.
 */
export const QUERY_SCHEMAS: Record<QuerySchemaName, z.ZodMiniObject> = {
  ListKeysQuery: listKeysQuerySchema,
  ListAuditQuery: listAuditQuerySchema,
  UsageQuery: usageQuerySchema,
  // A web page's, not an API's: the browser comes back from the identity provider with its answer in the
  // query (`code`, `state`, `iss`, or `error` …) for the page's script to read, and a link may carry anything.
  PageQuery: z.looseObject({}),
};

/** The query of an operation that names none: any parameter is unknown. */
const NO_PARAMETERS = z.strictObject({});

/** The schema of an operation's query string: the one it names, or one that takes no parameter. */
export const querySchemaOf = (name: QuerySchemaName | undefined): z.ZodMiniObject =>
  name === undefined ? NO_PARAMETERS : QUERY_SCHEMAS[name];

/** Throws a ValidationError (400) naming every parameter the route does not take, or takes with a bad value. */
export function checkQuery(method: string, resource: string, query: Record<string, string | undefined>): void {
  const route = routeOf(method, resource);
  if (!route) throw new Error(`No route for ${method} ${resource}`);
  parseOrThrow(querySchemaOf(QUERIES[route.handler]), query, '', 'query');
}
