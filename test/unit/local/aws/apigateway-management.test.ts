import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createUsagePlans } from '../../../../local/apigateway/usage-plans';
import { createApiGatewayManagement, isApiGatewayManagementRequest } from '../../../../local/aws/apigateway-management';
import type { GatewayRequest } from '../../../../local/http/http-request';
import { DECLARED_PLANS } from '../../../../src/declared-plans';

const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };

async function flushCall(
  path: string,
  credentials: typeof SDK_CREDENTIALS & { sessionToken?: string } = SDK_CREDENTIALS,
): Promise<GatewayRequest> {
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'apigateway', sha256: Sha256 });
  const signed = await signer.sign(new HttpRequest({ method: 'DELETE', path, headers: { host: '127.0.0.1:3000' } }));
  const headerPairs = Object.entries(signed.headers);
  return {
    method: 'DELETE',
    rawPath: path,
    rawQuery: '',
    headerPairs,
    headers: Object.fromEntries(headerPairs.map(([name, value]) => [name.toLowerCase(), [value]])),
    body: Buffer.alloc(0),
    bodyTooLarge: false,
    sourceIp: '127.0.0.1',
    receivedAt: new Date(),
  };
}

describe('local API Gateway management: FlushStageAuthorizersCache', () => {
  const flushAuthorizerCache = jest.fn();
  const flushOrders = jest.fn();
  const management = createApiGatewayManagement({
    region: 'us-east-1',
    stages: [
      { restApiId: 'local', stageName: 'v1', flushAuthorizerCache },
      { restApiId: 'orders', stageName: 'v1', flushAuthorizerCache: flushOrders },
    ],
    usagePlans: createUsagePlans({ declaration: DECLARED_PLANS }),
    sdkCredentials: async () => SDK_CREDENTIALS,
  });
  beforeEach(() => {
    flushAuthorizerCache.mockClear();
    flushOrders.mockClear();
  });

  it('recognises the flush operation and the key and usage plan paths, nothing else', () => {
    expect(isApiGatewayManagementRequest({ method: 'DELETE', rawPath: '/restapis/local/stages/v1/cache/authorizers' })).toBe(
      true,
    );
    expect(isApiGatewayManagementRequest({ method: 'GET', rawPath: '/restapis/local/stages/v1/cache/authorizers' })).toBe(false);
    expect(isApiGatewayManagementRequest({ method: 'DELETE', rawPath: '/restapis/local/stages/v1/cache/data' })).toBe(false);
    expect(isApiGatewayManagementRequest({ method: 'POST', rawPath: '/apikeys' })).toBe(true);
    expect(isApiGatewayManagementRequest({ method: 'GET', rawPath: '/usageplans/local-free/usage' })).toBe(true);
    expect(isApiGatewayManagementRequest({ method: 'GET', rawPath: '/apikeysx' })).toBe(false);
  });

  it('flushes the cache for a call signed with the SDK’s credentials, answering 202 like API Gateway', async () => {
    const response = await management(await flushCall('/restapis/local/stages/v1/cache/authorizers'));
    expect(response.statusCode).toBe(202);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    expect(flushOrders).not.toHaveBeenCalled();
  });

  it('flushes each local stage on its own', async () => {
    expect((await management(await flushCall('/restapis/orders/stages/v1/cache/authorizers'))).statusCode).toBe(202);
    expect(flushOrders).toHaveBeenCalledTimes(1);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });

  it('refuses other credentials as AWS does, with an error the SDK reads', async () => {
    for (const [credentials, type] of [
      [{ accessKeyId: 'LOCAL', secretAccessKey: 'guess' }, 'InvalidSignatureException'],
      [{ accessKeyId: 'SOMEONE', secretAccessKey: 'sdk-secret' }, 'UnrecognizedClientException'],
    ] as const) {
      const response = await management(await flushCall('/restapis/local/stages/v1/cache/authorizers', credentials));
      expect(response.statusCode).toBe(403);
      expect(response.headers['x-amzn-ErrorType']).toBe(type);
    }
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });

  it('refuses X-Amz-Security-Token with the SDK’s long-term credentials, as AWS does: 403 UnrecognizedClientException', async () => {
    const signedToken = await flushCall('/restapis/local/stages/v1/cache/authorizers', { ...SDK_CREDENTIALS, sessionToken: 'x' });
    const valid = await flushCall('/restapis/local/stages/v1/cache/authorizers');
    const addedToken = { ...valid, headers: { ...valid.headers, 'x-amz-security-token': ['x'] } };
    for (const refused of [signedToken, addedToken]) {
      const response = await management(refused);
      expect(response.statusCode).toBe(403);
      expect(response.headers['x-amzn-ErrorType']).toBe('UnrecognizedClientException');
    }
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });

  it('answers 413 for a body too large to hold, without flushing', async () => {
    const response = await management({
      ...(await flushCall('/restapis/local/stages/v1/cache/authorizers')),
      bodyTooLarge: true,
    });
    expect(response.statusCode).toBe(413);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });

  it('answers 404 NotFoundException for another API or stage', async () => {
    const other = await management(await flushCall('/restapis/other/stages/v1/cache/authorizers'));
    expect(other.statusCode).toBe(404);
    expect(other.headers['x-amzn-ErrorType']).toBe('NotFoundException');
    expect((await management(await flushCall('/restapis/local/stages/v2/cache/authorizers'))).statusCode).toBe(404);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });
});
