import * as z from 'zod';
import { listAuditQuerySchema, listKeysQuerySchema, parseOrThrow, usageQuerySchema } from './domain/validation';
import type { HandlerName } from './routes';

/** The query of a route that takes none: any parameter is unknown. */
const NO_PARAMETERS = z.strictObject({});

/**
 * The console's page and files are a web page's, not an API's: the browser
 * comes back from the identity provider with its answer in the query (`code`,
 * `state`, `iss`, or `error` …) for the page's script to read, and a link to
 * the page may carry anything.
 */
const ANY_PARAMETERS = z.looseObject({});

/**
 * The query parameters each handler's routes take, as the schema that validates
 * them: the one place from which the OpenAPI document lists them and the edge
 * (lambdas/shared/http.ts) refuses any other before the handler runs.
 */
export const QUERY_SCHEMAS: Record<HandlerName, z.ZodObject> = {
  createKey: NO_PARAMETERS,
  listKeys: listKeysQuerySchema,
  getKey: NO_PARAMETERS,
  updateKey: NO_PARAMETERS,
  deleteKey: NO_PARAMETERS,
  rotateKey: NO_PARAMETERS,
  listAudit: listAuditQuerySchema,
  whoami: NO_PARAMETERS,
  verifyKey: NO_PARAMETERS,
  openApi: NO_PARAMETERS,
  consolePage: ANY_PARAMETERS,
  getTenant: NO_PARAMETERS,
  setTenantPlan: NO_PARAMETERS,
  getUsage: usageQuerySchema,
};

/** Throws a ValidationError (400) naming every parameter `handler`'s routes do not take, or take with a bad value. */
export function checkQuery(handler: HandlerName, query: Record<string, string | undefined>): void {
  parseOrThrow(QUERY_SCHEMAS[handler], query, '', 'query');
}
