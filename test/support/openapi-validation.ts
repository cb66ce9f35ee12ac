/**
 * Holds every response the e2e suites receive to the OpenAPI document: its
 * status must be documented for the route, and its headers and body must match
 * what the document says, checked with ajv. A response that does not throws, so
 * the test that received it fails.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ORDERS_LOCAL_BASE_PATH } from '../../examples/orders/methods';
import { type JsonSchema, type OpenApiDocument, openApiDocument, type ResponseObject } from '../../src/openapi/document';

export interface ReceivedResponse {
  status: number;
  /** The header's value, whatever its case; null or undefined when absent. */
  header(name: string): string | null | undefined;
  text: string;
}

const DOCUMENT_ID = 'openapi.json';
const document: OpenApiDocument = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas: document.components.schemas } });

const compiled = new Map<JsonSchema, ValidateFunction>();

/** Points the document's local references at the schema ajv holds it under. */
function anchored(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(anchored);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([name, value]) => [
      name,
      name === '$ref' && typeof value === 'string' ? `${DOCUMENT_ID}${value}` : anchored(value),
    ]),
  );
}

function validatorFor(schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(anchored(schema) as JsonSchema);
    compiled.set(schema, validate);
  }
  return validate;
}

function resolve<T>(value: T | { $ref: string }): T {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value as T;
  const [, kind, name] = value.$ref.split('/').slice(1);
  return (document.components as unknown as Record<string, Record<string, T>>)[kind][name];
}

const pathPatterns = Object.keys(document.paths).map((path) => ({
  path,
  pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** The response the document gives for this request and status; for a request no route takes, the gateway's problem. */
function documentedResponse(method: string, pathname: string, status: number): { where: string; response: ResponseObject } {
  const route = pathPatterns.find(({ pattern }) => pattern.test(pathname));
  const operation = route && document.paths[route.path][method.toLowerCase() as keyof OpenApiDocument['paths'][string]];
  if (!route || !operation) {
    // No route: API Gateway answers "Missing Authentication Token" itself, as problem+json like every error.
    if (status !== 403) throw new Error(`${method} ${pathname} is no route of the document, yet answered ${status}`);
    return { where: `${method} ${pathname} (no route)`, response: document.components.responses.Forbidden };
  }
  const where = `${method} ${route.path} → ${status}`;
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${where}: the document names no ${status} for ${method} ${route.path}`);
  return { where, response: resolve(response) };
}

function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message}`).join('; ');
}

export function expectDocumented(method: string, url: string | URL, received: ReceivedResponse): void {
  const { pathname } = new URL(url);
  // The example orders API, which local mode serves beside the service's, is an API of its own, with no document.
  if (pathname.startsWith(`${ORDERS_LOCAL_BASE_PATH}/`)) return;
  const { where, response } = documentedResponse(method, pathname, received.status);
  for (const [name, header] of Object.entries(response.headers ?? {}).map(([name, header]) => [name, resolve(header)] as const)) {
    const value = received.header(name);
    if (value === null || value === undefined) {
      if (header.required) throw new Error(`${where}: header ${name} is missing`);
      continue;
    }
    const validate = validatorFor(header.schema);
    if (!validate(value)) throw new Error(`${where}: header ${name}: ${value} does not match: ${describeErrors(validate)}`);
  }
  if (!response.content) {
    if (received.text !== '') throw new Error(`${where}: the document names no body, yet one came: ${received.text}`);
    return;
  }
  const mediaType = received.header('content-type')?.split(';')[0].trim() ?? '';
  const content = response.content[mediaType];
  if (!content) throw new Error(`${where}: Content-Type ${mediaType || '(none)'} is not one of ${Object.keys(response.content)}`);
  const validate = validatorFor(content.schema);
  if (!validate(JSON.parse(received.text))) {
    throw new Error(`${where}: the body does not match the document: ${describeErrors(validate)}\n${received.text}`);
  }
}

/** fetch, holding each response to the document: for the typed client's e2e suites. */
export const documentedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const text = await response.clone().text();
  expectDocumented(init?.method ?? 'GET', String(input), {
    status: response.status,
    header: (name) => response.headers.get(name),
    text,
  });
  return response;
};
