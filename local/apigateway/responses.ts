import { type GatewayResponseType, gatewayResponse, PROBLEM_HEADERS } from '../../src/problem';

/** What goes back on the wire. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

/** A response the gateway makes itself: the deployed stack's problem+json gateway response. */
export function gatewayErrorResponse(type: GatewayResponseType): HttpResponse {
  const definition = gatewayResponse(type);
  return {
    statusCode: definition.body.status,
    headers: { ...PROBLEM_HEADERS, ...definition.headers },
    body: JSON.stringify(definition.body),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isHeaderValue = (value: unknown) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
const isHeaderValueList = (value: unknown): value is unknown[] => Array.isArray(value) && value.every(isHeaderValue);

/**
 * Turns a Lambda proxy result into the HTTP response, as API Gateway does:
 * `headers` and `multiValueHeaders` merge (the multi-value ones win a clash),
 * and a result it cannot read becomes 502.
 */
export function fromProxyResult(result: unknown): HttpResponse {
  if (!isObject(result)) return gatewayErrorResponse('INTEGRATION_FAILURE');
  const { statusCode, headers = {}, multiValueHeaders = {}, body = '', isBase64Encoded = false } = result;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599 ||
    typeof body !== 'string' ||
    typeof isBase64Encoded !== 'boolean' ||
    !isObject(headers) ||
    !Object.values(headers).every(isHeaderValue) ||
    !isObject(multiValueHeaders) ||
    !Object.values(multiValueHeaders).every(isHeaderValueList)
  ) {
    return gatewayErrorResponse('INTEGRATION_FAILURE');
  }
  const merged: Record<string, string | string[]> = {};
  const multiValueNames = new Set<string>();
  for (const [name, values] of Object.entries(multiValueHeaders)) {
    merged[name] = (values as unknown[]).map(String);
    multiValueNames.add(name.toLowerCase());
  }
  let hasContentType = multiValueNames.has('content-type');
  for (const [name, value] of Object.entries(headers)) {
    const lowerCase = name.toLowerCase();
    if (multiValueNames.has(lowerCase)) continue;
    merged[name] = String(value);
    if (lowerCase === 'content-type') hasContentType = true;
  }
  if (!hasContentType) merged['Content-Type'] = 'application/json';
  return { statusCode, headers: merged, body: isBase64Encoded ? Buffer.from(body, 'base64') : body };
}
