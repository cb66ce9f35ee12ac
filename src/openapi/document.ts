import * as z from 'zod';
import { DEFAULT_MAX_BODY_BYTES } from '../body-limits';
import {
  createKeyBodySchema,
  revokeKeyBodySchema,
  revokeKeyBySecretBodySchema,
  rotateKeyBodySchema,
  secretScanningReportSchema,
  setPlanBodySchema,
  updateKeyBodySchema,
  verifyKeyBodySchema,
} from '../domain/validation';
import { PROBLEM_CONTENT_TYPE } from '../problem';
import { querySchemaOf } from '../query-schemas';
import {
  type HttpMethod,
  OPERATIONS,
  type Operation,
  type ProblemStatus,
  QUERIES,
  type RequestSchemaName,
  type ResponseSchemaName,
  ROUTES,
  type Route,
  type SuccessResponse,
} from '../routes';
import {
  apiKeySchema,
  auditListSchema,
  issuedApiKeySchema,
  keyCheckSchema,
  keyListSchema,
  problemSchema,
  replayedApiKeySchema,
  revocationAcceptedSchema,
  rotatedApiKeySchema,
  secretScanningFeedbackSchema,
  tenantSchema,
  usageSchema,
  whoamiSchema,
} from './resources';

/** A JSON Schema (2020-12), as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>;

export interface HeaderObject {
  description: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | { $ref: string }>;
  content?: Record<string, { schema: JsonSchema }>;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: ParameterObject[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, ResponseObject | { $ref: string }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: Record<string, unknown>;
  servers: { url: string; description?: string; variables?: Record<string, unknown> }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<Lowercase<HttpMethod>, OperationObject>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, ResponseObject>;
    headers: Record<string, HeaderObject>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

/** The schemas the document names, each once, under components/schemas. */
const COMPONENTS = {
  responses: {
    ApiKey: { schema: apiKeySchema, description: 'An API key as every response shows it: never the secret, never its hash.' },
    IssuedApiKey: { schema: issuedApiKeySchema, description: 'A new key with its secret `key`, shown in this response only.' },
    RotatedApiKey: {
      schema: rotatedApiKeySchema,
      description: 'A rotation: the replacement with its secret `key`, and the id it replaces.',
    },
    ReplayedApiKey: {
      schema: replayedApiKeySchema,
      description: 'A repeat of an idempotent create or rotate: the key the first request issued, without its secret.',
    },
    KeyList: {
      schema: keyListSchema,
      description: "One page of a tenant's keys, newest first. `nextCursor` is null on the last page.",
    },
    Tenant: {
      schema: tenantSchema,
      description: 'A tenant and its plan. One never configured has the default plan and `createdAt` null.',
    },
    Usage: {
      schema: usageSchema,
      description: "Requests per day (UTC), oldest first, as API Gateway counted them against the tenant's plan.",
    },
    AuditList: {
      schema: auditListSchema,
      description:
        "One page of a tenant's audit trail, newest first: who changed which key (`keyName`: its name at the time; a key actor's too), how, from which request. Records still waiting for delivery are included. `nextCursor` is null on the last page.",
    },
    Whoami: { schema: whoamiSchema, description: 'The calling key, as the authorizer passed it on.' },
    KeyCheck: {
      schema: keyCheckSchema,
      description:
        "Whether a key may be used. Malformed, unknown, disabled and expired keys all read NOT_FOUND; `meta` is the key's metadata.",
    },
    RevocationAccepted: {
      schema: revocationAcceptedSchema,
      description: 'What POST /revoke always answers: it says nothing of whether the key existed.',
    },
    SecretScanningFeedback: {
      schema: secretScanningFeedbackSchema,
      description:
        "GitHub's feedback format: each token GitHub sent, by the lowercase hex SHA-256 of it (a real key's `keyHash`), with the type GitHub gave and whether it was a key of this service. Never the token.",
    },
    Problem: {
      schema: problemSchema,
      description: 'RFC 9457 problem details. A validation error adds `errors`, one per problem.',
    },
  },
  requests: {
    CreateKeyRequest: { schema: createKeyBodySchema, description: 'A new key: its name, and optionally scopes and an expiry.' },
    UpdateKeyRequest: {
      schema: updateKeyBodySchema,
      description: 'Any of the key\'s fields to change, at least one. `"expiresAt": null` removes the expiry.',
    },
    RotateKeyRequest: { schema: rotateKeyBodySchema, description: 'How long the old key keeps working, in seconds.' },
    SetPlanRequest: { schema: setPlanBodySchema, description: 'The plan to move the tenant to: one of the declared plans.' },
    VerifyKeyRequest: { schema: verifyKeyBodySchema, description: 'A presented key, and optionally the scope it must hold.' },
    RevokeKeyRequest: {
      schema: revokeKeyBodySchema,
      description:
        'Why the key is revoked: `leaked` (its secret was exposed; the default) or `unused` (it is ended for good because nothing needs it).',
    },
    RevokeKeyBySecretRequest: {
      schema: revokeKeyBySecretBodySchema,
      description: 'The key to revoke, as issued. A key whose format or checksum is wrong is a 400, and costs no read.',
    },
    SecretScanningReport: {
      schema: secretScanningReportSchema,
      description:
        "GitHub's secret scanning payload: what it found in public, signed with one of GitHub's keys (headers Github-Public-Key-Identifier and Github-Public-Key-Signature). Fields beyond these are let through.",
    },
  },
} satisfies {
  responses: Record<ResponseSchemaName | 'Problem', { schema: z.core.$ZodType; description: string }>;
  requests: Record<RequestSchemaName, { schema: z.core.$ZodType; description: string }>;
};

/** The problem statuses the API answers, each a reusable response. */
const PROBLEMS = {
  400: {
    name: 'BadRequest',
    description: 'The request is not valid: bad JSON, unknown fields or query parameters, or a bad value (see `errors`).',
  },
  401: { name: 'Unauthorized', description: 'No key, or a malformed, unknown, disabled or expired one: always the same answer.' },
  403: {
    name: 'Forbidden',
    description:
      "A missing or invalid SigV4 signature, a key without the route's scope, or a self-service change beyond what the calling key holds.",
  },
  404: { name: 'NotFound', description: 'No such key for this tenant.' },
  409: {
    name: 'Conflict',
    description:
      "The key changed meanwhile, cannot be rotated again, a request with this Idempotency-Key is still running, or the account has no API Gateway API key left for a new tenant's plan.",
  },
  413: { name: 'ContentTooLarge', description: 'The body is over 10 KiB (or, where a route says so, its own limit).' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not `application/json`.' },
  422: { name: 'UnprocessableContent', description: 'This Idempotency-Key was used with a different request.' },
  429: {
    name: 'TooManyRequests',
    description:
      "The tenant's plan (its rate or its quota) or the stage is throttling requests; retry after `Retry-After` seconds.",
  },
  500: { name: 'InternalServerError', description: 'The request failed.' },
  502: { name: 'BadGateway', description: 'The backend failed to answer.' },
  503: {
    name: 'ServiceUnavailable',
    description:
      "The key store, the authorizer or API Gateway's usage plans could not answer; retry after `Retry-After` seconds.",
  },
  504: { name: 'GatewayTimeout', description: 'The backend did not answer in time.' },
} as const satisfies Record<ProblemStatus, { name: string; description: string }>;

/** What every route that takes a body can meet: a bad one, one too large, one not JSON. */
const BODY_PROBLEMS: ProblemStatus[] = [400, 413, 415];

/** What every route can meet at API Gateway itself, whatever its handler does. */
const GATEWAY_PROBLEMS: ProblemStatus[] = [429, 500, 502, 504];

const AUTHORIZATION = {
  iam: { security: [{ sigv4: [] }], problems: [403] },
  apiKey: { security: [{ apiKey: [] }], problems: [401, 403, 503] },
  jwt: { security: [{ consoleUser: [] }], problems: [401, 403, 503] },
  none: { security: [], problems: [] },
} satisfies Record<Route['authorization'], { security: Record<string, string[]>[]; problems: ProblemStatus[] }>;

const TAGS = [
  {
    name: 'keys',
    description: "Issuing and managing keys: admin routes per tenant (SigV4), self-service routes for the calling key's tenant.",
  },
  {
    name: 'tenants',
    description:
      "Tenants' plans (rate, burst and quota, enforced by API Gateway usage plans) and their usage: admin routes per tenant, and the calling key's own tenant's usage.",
  },
  {
    name: 'audit',
    description:
      'The audit trail: a record of every change to a key or tenant, kept 400 days by default and published to EventBridge.',
  },
  { name: 'verification', description: 'Checking a presented key from a backend that is not behind the authorizer.' },
  {
    name: 'leaked keys',
    description:
      "Ending keys for good: by id (admin, self-service, console), by the secret itself (whoever holds it), and by GitHub's secret scanning.",
  },
  {
    name: 'console',
    description: "The console for tenants' users: its page, served openly, and its key routes, for signed-in users.",
  },
  { name: 'meta', description: "The API's own description." },
];

const componentRef = (kind: 'schemas' | 'responses' | 'headers', name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** zod's JSON Schema for every component, with references between them, without the standalone-document keys. */
function componentSchemas(): Record<string, JsonSchema> {
  const generate = (components: Record<string, { schema: z.core.$ZodType; description: string }>, io: 'input' | 'output') => {
    const registry = z.registry<{ id: string }>();
    for (const [id, { schema }] of Object.entries(components)) registry.add(schema, { id });
    const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: (id) => componentRef('schemas', id).$ref });
    return Object.fromEntries(
      Object.entries(schemas).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [
        id,
        { description: components[id].description, ...schema },
      ]),
    );
  };
  // Requests as clients may send them (before defaults and trimming), responses as the API sends them.
  return { ...generate(COMPONENTS.requests, 'input'), ...generate(COMPONENTS.responses, 'output') };
}

function pathParameters(path: string): ParameterObject[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: name === 'tenantId' ? 'The tenant, 1–64 letters, digits, ".", "_" or "-".' : "The key's id, `key_` and a ULID.",
    schema: { type: 'string' },
  }));
}

function queryParameters(query: z.core.$ZodObject): ParameterObject[] {
  // The values after parsing (a number for `limit`, with its default); which are required, as sent.
  const parsed = z.toJSONSchema(query, { target: 'draft-2020-12', io: 'output' }) as { properties: Record<string, JsonSchema> };
  const sent = z.toJSONSchema(query, { target: 'draft-2020-12', io: 'input' }) as { required?: string[] };
  return Object.entries(parsed.properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: sent.required?.includes(name) ?? false,
    schema,
  }));
}

function refusesOtherParameters(query: z.core.$ZodObject): boolean {
  return (z.toJSONSchema(query, { target: 'draft-2020-12', io: 'input' }) as JsonSchema).additionalProperties === false;
}

const IDEMPOTENCY_KEY_PARAMETER: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Makes a retry answer the key the first request issued (200) instead of issuing another; kept 24 hours.',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
};

/** The console's files: HTML, its script, its icon; cached as each deserves, so any Cache-Control. */
const CONSOLE_CONTENT: Record<string, { schema: JsonSchema }> = Object.fromEntries(
  ['text/html', 'text/javascript', 'image/svg+xml'].map((type) => [type, { schema: { type: 'string' } }]),
);

function successResponse(response: SuccessResponse): ResponseObject {
  if (response.body === 'console') {
    return {
      description: response.description,
      headers: { 'Cache-Control': { description: 'How long the file may be kept.', required: true, schema: { type: 'string' } } },
      content: CONSOLE_CONTENT,
    };
  }
  const headers = {
    'Cache-Control': componentRef('headers', 'CacheControl'),
    ...Object.fromEntries(
      (response.headers ?? []).map((name) => [
        name === 'IdempotentReplayed' ? 'Idempotent-Replayed' : name,
        componentRef('headers', name),
      ]),
    ),
  };
  if (response.body === undefined) return { description: response.description, headers };
  const schema =
    response.body === 'document'
      ? {
          type: 'object',
          description: 'An OpenAPI 3.1 document.',
          properties: { openapi: { type: 'string' }, paths: { type: 'object' } },
          required: ['openapi', 'paths'],
        }
      : componentRef('schemas', response.body);
  return { description: response.description, headers, content: { 'application/json': { schema } } };
}

function operationFor(route: Route, shared: boolean): OperationObject {
  const spec = OPERATIONS[route.handler];
  const authorization = AUTHORIZATION[route.authorization];
  // A handler behind both an admin and a self-service route: the self-service one acts on the caller's own tenant.
  const own = shared && route.authorization === 'apiKey';
  const consoleUser = route.authorization === 'jwt';
  // Two routes of one handler and one authorization (the console page, and its files): named by the parameter.
  const twin = ROUTES.some(
    (other) => other !== route && other.handler === route.handler && other.authorization === route.authorization,
  );
  const parameter = /\{([^}]+)\}$/.exec(route.path)?.[1];
  const operationId =
    twin && parameter ? `${spec.operationId}${parameter.charAt(0).toUpperCase()}${parameter.slice(1)}` : spec.operationId;
  // A tenant id in the path is validated like a body.
  const tenantProblems: ProblemStatus[] = route.path.includes('{tenantId}') ? [400] : [];
  // So is a query parameter the route does not take, unless it takes any.
  const query = querySchemaOf(QUERIES[route.handler]);
  const queryProblems: ProblemStatus[] = refusesOtherParameters(query) ? [400] : [];
  const problems = [
    ...new Set<ProblemStatus>([
      ...spec.problems,
      ...(spec.body ? BODY_PROBLEMS : []),
      ...tenantProblems,
      ...queryProblems,
      ...authorization.problems,
      ...GATEWAY_PROBLEMS,
    ]),
  ].sort();
  const parameters = [
    ...pathParameters(route.path),
    ...queryParameters(query),
    ...(spec.idempotent ? [IDEMPOTENCY_KEY_PARAMETER] : []),
    ...(spec.requestHeaders ?? []).map(
      ({ name, description, required }): ParameterObject => ({
        name,
        in: 'header',
        required,
        description,
        schema: { type: 'string' },
      }),
    ),
  ];
  const requirement =
    route.authorization === 'apiKey'
      ? ` Needs an \`x-api-key\`${route.scope ? ` with scope \`${route.scope}\`` : ''}.`
      : consoleUser
        ? " Needs a console user's ID token; the tenant is the token's, and only the scopes console users may grant can be given."
        : '';
  return {
    operationId: own ? `${operationId}ForCaller` : consoleUser ? `${operationId}ForConsoleUser` : operationId,
    summary: own
      ? `${spec.summary}, in the calling key's tenant`
      : consoleUser
        ? `${spec.summary}, in the console user's tenant`
        : spec.summary,

    ...(requirement ? { description: requirement.trim() } : {}),
    tags: [consoleUser ? 'console' : spec.tag],
    security: authorization.security,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: spec.body.required,
            content: { 'application/json': { schema: componentRef('schemas', spec.body.schema) } },
          },
        }
      : {}),
    responses: {
      ...Object.fromEntries(Object.entries(spec.success).map(([status, response]) => [status, successResponse(response)])),
      ...Object.fromEntries(problems.map((status) => [String(status), problemResponseOf(spec, status)])),
    },
  };
}

/** 1048576 → `1 MiB`, 10240 → `10 KiB`. */
function bytesText(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/** A problem status of an operation: the API's shared response, or one of its own where its meaning differs here. */
function problemResponseOf(spec: Operation, status: ProblemStatus): ResponseObject | { $ref: string } {
  const maxBytes = spec.body?.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const note =
    spec.problemNotes?.[status] ??
    (status === 413 && maxBytes !== DEFAULT_MAX_BODY_BYTES ? `The body is over ${bytesText(maxBytes)}.` : undefined);
  if (note === undefined) return componentRef('responses', PROBLEMS[status].name);
  return { ...problemResponses()[PROBLEMS[status].name], description: note };
}

function problemResponses(): Record<string, ResponseObject> {
  return Object.fromEntries(
    Object.entries(PROBLEMS).map(([status, { name, description }]) => {
      const retryAfter = status === '429' || status === '503' || status === '409';
      const headers = {
        'Cache-Control': componentRef('headers', 'CacheControl'),
        ...(retryAfter
          ? {
              'Retry-After':
                status === '409' ? componentRef('headers', 'RetryAfterIfRunning') : componentRef('headers', 'RetryAfter'),
            }
          : {}),
      };
      return [
        name,
        { description, headers, content: { [PROBLEM_CONTENT_TYPE]: { schema: componentRef('schemas', 'Problem') } } },
      ];
    }),
  );
}

const HEADERS: Record<string, HeaderObject> = {
  CacheControl: { description: 'Every response: `no-store`.', required: true, schema: { type: 'string', const: 'no-store' } },
  Location: { description: "The key's URL.", required: true, schema: { type: 'string' } },
  IdempotentReplayed: {
    description: 'This answers a repeat of an idempotent request.',
    required: true,
    schema: { type: 'string', const: 'true' },
  },
  RetryAfter: { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'string', pattern: '^\\d+$' } },
  RetryAfterIfRunning: {
    description: 'Seconds to wait, when a request with this Idempotency-Key is still running.',
    required: false,
    schema: { type: 'string', pattern: '^\\d+$' },
  },
};

const DEFAULT_SERVERS: OpenApiDocument['servers'] = [
  { url: 'http://127.0.0.1:3000', description: 'Local mode (`npm start`)' },
  {
    url: 'https://{apiId}.execute-api.{region}.amazonaws.com/{stage}',
    description: 'A deployed stage',
    variables: {
      apiId: { default: 'abc123', description: 'The RestApi id (stack output ApiUrl)' },
      region: { default: 'us-east-1' },
      stage: { default: 'v1' },
    },
  },
];

/**
 * The OpenAPI 3.1 document of the API, built from the route table and the
 * validation schemas, so it cannot drift from what the API does.
 * `servers` says where it is served; by default, local mode and a deployed stage.
 */
export function openApiDocument(servers: OpenApiDocument['servers'] = DEFAULT_SERVERS): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTES) {
    const shared = ROUTES.some((other) => other !== route && other.handler === route.handler);
    const method = route.method.toLowerCase() as Lowercase<HttpMethod>;
    paths[route.path] = { ...paths[route.path], [method]: operationFor(route, shared) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'API key service',
      // The HTTP API's version (its stage is v1), not the package's.
      version: '1.0.0',
      description:
        "Hashed API keys for a SaaS: admin routes (AWS SigV4) for the operator's back office, self-service routes and /whoami for keys, and POST /verify for backends not behind the authorizer. Every error is `application/problem+json`.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers,
    tags: TAGS,
    paths,
    components: {
      schemas: componentSchemas(),
      responses: problemResponses(),
      headers: HEADERS,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 for service `execute-api`, by a principal allowed `execute-api:Invoke` on the route. The signed `host` includes the port, where there is one.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header', description: 'An API key issued by this service.' },
        consoleUser: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "An OpenID Connect ID token from the console's identity provider, naming the user's tenant.",
        },
      },
    },
  };
}
