import type { HttpResponse } from '../apigateway/responses';
import { type ApiStage, generatedKeyValue, type LocalApiKey, type UsagePlans } from '../apigateway/usage-plans';
import { type GatewayRequest, parseQuery, percentDecode } from '../http/http-request';
import { awsErrorResponse, awsJsonResponse } from './aws-errors';

/** GetApiKeys pages: 25 keys by default, at most 500. */
const DEFAULT_PAGE = 25;
const MAX_PAGE = 500;
/** "The usage date range can't exceed 90 days" (AWS Knowledge Center, API key usage). */
const MAX_USAGE_DAYS = 90;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** API Gateway's own paths for keys and usage plans: nothing the local APIs serve starts so. */
export function isUsagePlanRequest(request: Pick<GatewayRequest, 'rawPath'>): boolean {
  return /^\/(apikeys|usageplans)(\/|$)/.test(request.rawPath);
}

const badRequest = (message: string) => awsErrorResponse(400, 'BadRequestException', message, 'message');
const notFound = (message: string) => awsErrorResponse(404, 'NotFoundException', message, 'message');
const conflict = (message: string) => awsErrorResponse(409, 'ConflictException', message, 'message');

function apiKeyBody(key: LocalApiKey, includeValue: boolean) {
  const { value, ...rest } = key;
  return { ...rest, stageKeys: [], ...(includeValue ? { value } : {}) };
}

function jsonBody(request: GatewayRequest): Record<string, unknown> | undefined {
  if (request.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);

function createApiKey(usagePlans: UsagePlans, request: GatewayRequest): HttpResponse {
  const body = jsonBody(request);
  if (!body) return badRequest('Invalid request body');
  const value = body.value === undefined ? generatedKeyValue() : body.value;
  if (typeof value !== 'string') return badRequest('API Key value must be a string');
  if (value.length < 20) return badRequest('API Key value should be at least 20 characters');
  if (value.length > 128) return badRequest('API Key value exceeds maximum size of 128 characters');
  const created = usagePlans.createApiKey({
    value,
    // CreateApiKey leaves a key disabled unless it is asked to enable it.
    enabled: body.enabled === true,
    ...(optionalString(body.name) !== undefined ? { name: optionalString(body.name) } : {}),
    ...(optionalString(body.description) !== undefined ? { description: optionalString(body.description) } : {}),
    ...(optionalString(body.customerId) !== undefined ? { customerId: optionalString(body.customerId) } : {}),
  });
  // "API Key already exists": API Gateway takes two keys with one value for the same key.
  if (created === 'duplicateValue') return conflict('API Key already exists');
  return awsJsonResponse(201, apiKeyBody(created, true));
}

function getApiKeys(usagePlans: UsagePlans, request: GatewayRequest): HttpResponse {
  const query = new Map(parseQuery(request.rawQuery));
  const limit = query.has('limit') ? Number(query.get('limit')) : DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return badRequest(`limit must be from 1 to ${MAX_PAGE}`);
  const start = query.has('position') ? Number(query.get('position')) : 0;
  if (!Number.isInteger(start) || start < 0) return badRequest('Invalid position');
  // nameQuery (sent as `name`) matches names that start with it.
  const prefix = query.get('name');
  const customerId = query.get('customerId');
  const matching = usagePlans
    .apiKeys()
    .filter((key) => prefix === undefined || (key.name ?? '').startsWith(prefix))
    .filter((key) => customerId === undefined || key.customerId === customerId)
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.id.localeCompare(b.id));
  const includeValues = query.get('includeValues') === 'true';
  return awsJsonResponse(200, {
    item: matching.slice(start, start + limit).map((key) => apiKeyBody(key, includeValues)),
    ...(start + limit < matching.length ? { position: String(start + limit) } : {}),
  });
}

function createUsagePlanKey(usagePlans: UsagePlans, request: GatewayRequest, planId: string): HttpResponse {
  const body = jsonBody(request);
  if (!body || typeof body.keyId !== 'string') return badRequest('keyId is required');
  if (body.keyType !== 'API_KEY') return badRequest('keyType must be API_KEY');
  const outcome = usagePlans.addKey(planId, body.keyId);
  switch (outcome) {
    case 'noSuchPlan':
      return notFound('Invalid Usage Plan ID specified');
    case 'noSuchKey':
      return notFound('Invalid API Key identifier specified');
    case 'alreadyInPlan':
      return conflict('Usage Plan Key already exists');
    case 'inAnotherPlan':
      return conflict('API Key cannot reference multiple Usage Plans with the same API Stage');
    case 'added': {
      const key = usagePlans.apiKeys().find((each) => each.id === body.keyId);
      return awsJsonResponse(201, { id: body.keyId, type: 'API_KEY', name: key?.name, value: key?.value });
    }
  }
}

function deleteUsagePlanKey(usagePlans: UsagePlans, planId: string, keyId: string): HttpResponse {
  switch (usagePlans.removeKey(planId, keyId)) {
    case 'noSuchPlan':
      return notFound('Invalid Usage Plan ID specified');
    case 'notInPlan':
      return notFound('Invalid Usage Plan Key identifier specified');
    case 'removed':
      return { statusCode: 202, headers: { 'Content-Type': 'application/json' }, body: '{}' };
  }
}

function getUsage(usagePlans: UsagePlans, request: GatewayRequest, planId: string): HttpResponse {
  const query = new Map(parseQuery(request.rawQuery));
  const startDate = query.get('startDate');
  const endDate = query.get('endDate');
  if (!startDate || !endDate) return badRequest('startDate and endDate are required');
  if (!DATE.test(startDate) || !DATE.test(endDate) || Number.isNaN(Date.parse(startDate)) || Number.isNaN(Date.parse(endDate))) {
    return badRequest('Invalid date format, expected YYYY-MM-DD');
  }
  const days = (Date.parse(endDate) - Date.parse(startDate)) / 86_400_000 + 1;
  if (days < 1) return badRequest('The end date must not be before the start date');
  if (days > MAX_USAGE_DAYS) return badRequest(`The usage date range can't exceed ${MAX_USAGE_DAYS} days`);
  const values = usagePlans.usage(planId, { startDate, endDate }, query.get('keyId'));
  if (!values) return notFound('Invalid Usage Plan ID specified');
  // The wire name of the SDK's `items` is `values`.
  return awsJsonResponse(200, { usagePlanId: planId, startDate, endDate, values });
}

/** A usage plan as GetUsagePlan and UpdateUsagePlan answer it. */
function usagePlanBody(usagePlans: UsagePlans, planId: string) {
  const usagePlan = usagePlans.plans.find((each) => each.id === planId);
  const stages = usagePlans.stagesOf(planId);
  if (!usagePlan || !stages) return undefined;
  const { rateLimit, burstLimit, quota } = usagePlan.plan;
  return {
    id: usagePlan.id,
    name: usagePlan.name,
    apiStages: stages.map((stage) => {
      const [apiId, name] = stage.split(':');
      return { apiId, stage: name };
    }),
    throttle: { rateLimit, burstLimit },
    ...(quota ? { quota: { limit: quota.limit, offset: 0, period: quota.period } } : {}),
  };
}

function getUsagePlan(usagePlans: UsagePlans, planId: string): HttpResponse {
  const body = usagePlanBody(usagePlans, planId);
  return body ? awsJsonResponse(200, body) : notFound('Invalid Usage Plan ID specified');
}

/**
 * UpdateUsagePlan, for the one change the functions make: `add` or `remove` of a
 * stage at `/apiStages`, its value `{restApiId}:{stageName}`. Every operation of a
 * call is checked before any is applied. Local mode has no UpdateUsagePlan rate limit.
 */
function updateUsagePlan(usagePlans: UsagePlans, request: GatewayRequest, planId: string): HttpResponse {
  const body = jsonBody(request);
  const operations = body?.patchOperations;
  if (!Array.isArray(operations) || operations.length === 0) return badRequest('patchOperations are required');
  const changes: { op: 'add' | 'remove'; stage: ApiStage }[] = [];
  for (const operation of operations as { op?: unknown; path?: unknown; value?: unknown }[]) {
    const { op, path, value } = operation ?? {};
    if ((op !== 'add' && op !== 'remove') || path !== '/apiStages' || typeof value !== 'string' || !/^[^:]+:[^:]+$/.test(value)) {
      return badRequest('Local mode serves only the add and remove of /apiStages, with the value {restApiId}:{stageName}.');
    }
    changes.push({ op, stage: value as ApiStage });
  }
  switch (usagePlans.changeStages(planId, changes)) {
    case 'noSuchPlan':
      return notFound('Invalid Usage Plan ID specified');
    case 'noSuchStage':
      return badRequest('Invalid API Stage specified');
    case 'changed':
      return awsJsonResponse(200, usagePlanBody(usagePlans, planId));
  }
}

type Operation = (usagePlans: UsagePlans, request: GatewayRequest, parameters: string[]) => HttpResponse;

const OPERATIONS: { name: string; method: string; path: RegExp; answer: Operation }[] = [
  { name: 'CreateApiKey', method: 'POST', path: /^\/apikeys$/, answer: createApiKey },
  { name: 'GetApiKeys', method: 'GET', path: /^\/apikeys$/, answer: getApiKeys },
  {
    name: 'CreateUsagePlanKey',
    method: 'POST',
    path: /^\/usageplans\/([^/]+)\/keys$/,
    answer: (usagePlans, request, [planId]) => createUsagePlanKey(usagePlans, request, planId),
  },
  {
    name: 'DeleteUsagePlanKey',
    method: 'DELETE',
    path: /^\/usageplans\/([^/]+)\/keys\/([^/]+)$/,
    answer: (usagePlans, _request, [planId, keyId]) => deleteUsagePlanKey(usagePlans, planId, keyId),
  },
  {
    name: 'GetUsagePlan',
    method: 'GET',
    path: /^\/usageplans\/([^/]+)$/,
    answer: (usagePlans, _request, [planId]) => getUsagePlan(usagePlans, planId),
  },
  {
    name: 'UpdateUsagePlan',
    method: 'PATCH',
    path: /^\/usageplans\/([^/]+)$/,
    answer: (usagePlans, request, [planId]) => updateUsagePlan(usagePlans, request, planId),
  },
  {
    name: 'GetUsage',
    method: 'GET',
    path: /^\/usageplans\/([^/]+)\/usage$/,
    answer: (usagePlans, request, [planId]) => getUsage(usagePlans, request, planId),
  },
];

/**
 * API Gateway's REST API for API keys and usage plans, the calls the tenant
 * functions and the usage plan reconciler make: CreateApiKey, GetApiKeys, CreateUsagePlanKey,
 * DeleteUsagePlanKey, GetUsagePlan, UpdateUsagePlan and GetUsage, with their request and response shapes and
 * errors as the API Gateway REST API Reference gives them. The call's signature
 * was checked already.
 */
export function usagePlanOperation(usagePlans: UsagePlans, request: GatewayRequest): HttpResponse {
  for (const { method, path, answer } of OPERATIONS) {
    const match = path.exec(request.rawPath);
    if (match && method === request.method) return answer(usagePlans, request, match.slice(1).map(percentDecode));
  }
  return badRequest(
    `Local mode serves only ${OPERATIONS.map((operation) => operation.name).join(', ')} of keys and usage plans.`,
  );
}
