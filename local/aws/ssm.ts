import { randomUUID } from 'node:crypto';
import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import { type GatewayRequest, lastHeaderValue } from '../http/http-request';
import { type Credentials, onlyCredentials, SIGV4_FAILURES, verifySigV4 } from './sigv4';

/** Systems Manager's JSON protocol names the operation in X-Amz-Target. */
const TARGET_PREFIX = 'AmazonSSM.';
/** GetParametersByPath answers at most 10 parameters a page. */
const MAX_RESULTS = 10;

export interface ParameterStoreOptions {
  region: string;
  accountId: string;
  /** Every parameter there is, by name: local mode's registry of stages, fixed at start. */
  parameters: Readonly<Record<string, string>>;
  /** The credentials this process gives the AWS SDK: the only ones accepted. */
  sdkCredentials: () => Promise<Credentials>;
}

export function isParameterStoreRequest(request: Pick<GatewayRequest, 'method' | 'headers'>): boolean {
  return request.method === 'POST' && (lastHeaderValue(request, 'x-amz-target') ?? '').startsWith(TARGET_PREFIX);
}

function ssmResponse(status: number, body: unknown, errorType?: string): HttpResponse {
  return {
    statusCode: status,
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'x-amzn-RequestId': randomUUID(),
      ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
    },
    body: JSON.stringify(body),
  };
}

const validation = (message: string) => ssmResponse(400, { __type: 'ValidationException', message }, 'ValidationException');

/**
 * Parameter Store's GetParametersByPath, the one call the functions that flush
 * make to it: they list the stages to flush. They send it with the AWS SDK, which
 * AWS_ENDPOINT_URL_SSM points here.
 */
export function createParameterStore(options: ParameterStoreOptions): (request: GatewayRequest) => Promise<HttpResponse> {
  return async (request) => {
    if (request.bodyTooLarge) return gatewayErrorResponse('REQUEST_TOO_LARGE');
    const verdict = await verifySigV4(request, {
      region: options.region,
      service: 'ssm',
      credentialsFor: onlyCredentials(options.sdkCredentials),
    });
    if (!verdict.valid) {
      const { type, status } = SIGV4_FAILURES[verdict.failure].awsError;
      return ssmResponse(
        status,
        { __type: type, message: 'The request signature is not valid for the local SSM endpoint.' },
        type,
      );
    }
    const operation = (lastHeaderValue(request, 'x-amz-target') ?? '').slice(TARGET_PREFIX.length);
    if (operation !== 'GetParametersByPath') {
      return validation(`Local mode serves only GetParametersByPath, not ${operation}.`);
    }
    let input: { Path?: unknown; Recursive?: unknown; NextToken?: unknown };
    try {
      input = JSON.parse(request.body.toString('utf8'));
    } catch {
      return validation('The request body is not valid JSON.');
    }
    if (typeof input.Path !== 'string' || !input.Path.startsWith('/')) return validation('Path must start with "/".');
    const prefix = input.Path.endsWith('/') ? input.Path : `${input.Path}/`;
    const names = Object.keys(options.parameters)
      .filter((name) => name.startsWith(prefix) && (input.Recursive === true || !name.slice(prefix.length).includes('/')))
      .sort();
    const start = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
    if (!Number.isInteger(start) || start < 0) return validation('NextToken is not valid.');
    const page = names.slice(start, start + MAX_RESULTS);
    return ssmResponse(200, {
      Parameters: page.map((name) => ({
        Name: name,
        Type: 'String',
        Value: options.parameters[name],
        Version: 1,
        ARN: `arn:aws:ssm:${options.region}:${options.accountId}:parameter${name}`,
        DataType: 'text',
      })),
      ...(start + MAX_RESULTS < names.length ? { NextToken: String(start + MAX_RESULTS) } : {}),
    });
  };
}
