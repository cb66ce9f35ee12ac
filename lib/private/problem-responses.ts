import { CfnGatewayResponse, ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { GATEWAY_RESPONSES, PROBLEM_HEADERS } from '../../src/problem';

/**
 * Rewrites API Gateway's own error responses on `api` as problem+json, with the
 * statuses of src/problem.ts (401 for a bad key, 403 for a missing scope, 503 for
 * a failing authorizer...). Types the API already answers itself are left alone:
 * a second response of one type would fail the deployment.
 */
export function addProblemResponses(api: RestApi): void {
  const taken = new Set(
    api.node
      .findAll()
      .filter((construct): construct is CfnGatewayResponse => construct instanceof CfnGatewayResponse)
      .map((response) => response.responseType),
  );
  for (const { type, body, headers } of GATEWAY_RESPONSES) {
    if (taken.has(type)) continue;
    api.addGatewayResponse(type, {
      type: ResponseType.of(type),
      statusCode: String(body.status),
      // Header values are mapping expressions: literals need single quotes.
      responseHeaders: quoted({ ...PROBLEM_HEADERS, ...headers }),
      templates: { 'application/json': JSON.stringify(body) },
    });
  }
}

function quoted(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`]));
}
