import type { HttpResponse } from '../apigateway/responses';
import type { GatewayRequest } from '../http/http-request';
import { AwsJsonError, createAwsJsonEndpoint, isAwsJsonRequest } from './json-protocol';
import type { Credentials } from './sigv4';

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
  return isAwsJsonRequest(request, TARGET_PREFIX);
}

const validation = (message: string) => new AwsJsonError(400, 'ValidationException', message);

/**
 * Parameter Store's GetParametersByPath, the one call the functions that flush
 * make to it: they list the stages to flush. They send it with the AWS SDK, which
 * AWS_ENDPOINT_URL_SSM points here.
 */
export function createParameterStore(options: ParameterStoreOptions): (request: GatewayRequest) => Promise<HttpResponse> {
  const getParametersByPath = (input: { Path?: unknown; Recursive?: unknown; NextToken?: unknown }) => {
    if (typeof input.Path !== 'string' || !input.Path.startsWith('/')) throw validation('Path must start with "/".');
    const prefix = input.Path.endsWith('/') ? input.Path : `${input.Path}/`;
    const names = Object.keys(options.parameters)
      .filter((name) => name.startsWith(prefix) && (input.Recursive === true || !name.slice(prefix.length).includes('/')))
      .sort();
    const start = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
    if (!Number.isInteger(start) || start < 0) throw validation('NextToken is not valid.');
    const page = names.slice(start, start + MAX_RESULTS);
    return {
      Parameters: page.map((name) => ({
        Name: name,
        Type: 'String',
        Value: options.parameters[name],
        Version: 1,
        ARN: `arn:aws:ssm:${options.region}:${options.accountId}:parameter${name}`,
        DataType: 'text',
      })),
      ...(start + MAX_RESULTS < names.length ? { NextToken: String(start + MAX_RESULTS) } : {}),
    };
  };
  return createAwsJsonEndpoint({
    name: 'SSM',
    targetPrefix: TARGET_PREFIX,
    protocol: 'awsJson1_1',
    signingName: 'ssm',
    region: options.region,
    sdkCredentials: options.sdkCredentials,
    errors: { unknownOperation: 'ValidationException', malformedInput: 'ValidationException' },
    operations: { GetParametersByPath: getParametersByPath },
  });
}
