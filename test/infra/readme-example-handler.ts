import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** src/orders.ts: API Gateway has already checked the key; the scopes are for you to check. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { tenantId, keyId, scopes } = event.requestContext.authorizer ?? {};
  if (!String(scopes).split(' ').includes('orders:read')) {
    return { statusCode: 403, body: JSON.stringify({ title: 'Forbidden', detail: 'The key lacks scope orders:read.' }) };
  }
  return { statusCode: 200, body: JSON.stringify({ tenantId, keyId, orders: [] }) };
}
