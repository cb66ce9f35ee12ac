import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** src/orders.ts: API Gateway has already refused bad keys (401) and keys without the method's scope (403). */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { tenantId, keyId, scopes, 'meta.plan': plan } = event.requestContext.authorizer ?? {};
  return { statusCode: 200, body: JSON.stringify({ tenantId, keyId, scopes: String(scopes).split(' '), plan, orders: [] }) };
}
