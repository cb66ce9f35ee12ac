import {
  GATEWAY_RESPONSES,
  type GatewayResponseType,
  gatewayResponse,
  problem,
  USAGE_PLAN_UNAVAILABLE_TYPE,
} from '../../src/problem';

describe('problem', () => {
  it('builds RFC 9457 bodies, with errors only when given', () => {
    expect(problem(404, 'Not Found', 'No such key.')).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No such key.',
    });
    expect(problem(400, 'Bad Request', 'x', [{ path: 'name', message: 'm' }]).errors).toEqual([{ path: 'name', message: 'm' }]);
  });

  it('gateway responses: 401 for UNAUTHORIZED, 403 for ACCESS_DENIED, 503 with Retry-After when the authorizer fails', () => {
    expect(gatewayResponse('UNAUTHORIZED').body.status).toBe(401);
    expect(gatewayResponse('ACCESS_DENIED').body.status).toBe(403);
    // An authorizer that throws anything but Unauthorized gets AUTHORIZER_CONFIGURATION_ERROR from API Gateway.
    for (const type of ['AUTHORIZER_CONFIGURATION_ERROR', 'AUTHORIZER_FAILURE'] as const) {
      expect(gatewayResponse(type)).toMatchObject({ body: { status: 503 }, headers: { 'Retry-After': expect.any(String) } });
    }
    // A valid key whose stage (or tenant's API Gateway key) is in no usage plan: the service's fault, with a type of its own.
    expect(gatewayResponse('INVALID_API_KEY')).toMatchObject({
      body: { status: 503, type: USAGE_PLAN_UNAVAILABLE_TYPE },
      headers: { 'Retry-After': expect.any(String) },
    });
    for (const response of GATEWAY_RESPONSES) {
      expect(Object.keys(response.body).sort()).toEqual(['detail', 'status', 'title', 'type']);
    }
    expect(() => gatewayResponse('NOPE' as GatewayResponseType)).toThrow();
  });
});
