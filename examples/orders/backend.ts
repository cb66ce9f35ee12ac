import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * The example API's backend: it answers with what the gateway told it, so that
 * you can see what a protected method receives. The authorizer has already
 * refused a bad key (401) and a key without the method's scope (403).
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { tenantId, keyId, keyName, scopes, ...rest } = (event.requestContext.authorizer ?? {}) as Record<string, string>;
  const meta = Object.fromEntries(
    Object.entries(rest)
      .filter(([name]) => name.startsWith('meta.'))
      .map(([name, value]) => [name.slice('meta.'.length), value]),
  );
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify({
      method: event.httpMethod,
      resource: event.resource,
      pathParameters: event.pathParameters ?? {},
      caller: { tenantId, keyId, keyName, scopes: scopes ? scopes.split(' ') : [], meta },
    }),
  };
}
