import { openApiDocument } from '../src/openapi/document';
import { routeFor } from '../src/routes';
import { httpHandler, json, requestPath } from './shared/http';

const OWN_PATH = routeFor('openApi', 'none').path;
const document = openApiDocument();

/**
 * GET /openapi.json, open to anyone: the API's OpenAPI document. Its server is
 * the stage it was fetched from, relative to the host that served it.
 */
export const handler = httpHandler(async (event) => {
  const basePath = requestPath(event).slice(0, -OWN_PATH.length);
  return json(200, { ...document, servers: [{ url: basePath || '/' }] });
});
