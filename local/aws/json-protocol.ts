import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import { type GatewayRequest, lastHeaderValue } from '../http/http-request';
import { type AwsProtocol, awsJsonProtocolError, awsJsonResponse } from './aws-errors';
import { type Credentials, onlyCredentials, SIGV4_FAILURES, verifySigV4 } from './sigv4';

/** A refusal an operation answers with: the error's status and type, as the service names it. */
export class AwsJsonError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** An operation: the parsed input in, the output out, or an AwsJsonError thrown. */
export type AwsJsonOperation = (input: Record<string, unknown>) => unknown;

export interface AwsJsonService {
  /** What the service is called in messages, e.g. `SSM`. */
  name: string;
  /** The start of X-Amz-Target, before the operation's name: `AmazonSSM.`. */
  targetPrefix: string;
  protocol: Exclude<AwsProtocol, 'restJson'>;
  /** The service name SigV4 signs for: `ssm`. */
  signingName: string;
  region: string;
  /** The credentials this process gives the AWS SDK: the only ones accepted. */
  sdkCredentials: () => Promise<Credentials>;
  /** The error types the service answers an operation it does not have, and a body that is not JSON, with. */
  errors: { unknownOperation: string; malformedInput: string };
  /** Extra headers of every error: SQS's query-compatible code, for one. */
  errorHeaders?: (type: string) => Record<string, string>;
  /** The operations local mode serves, by name. */
  operations: Record<string, AwsJsonOperation>;
}

export function isAwsJsonRequest(request: Pick<GatewayRequest, 'method' | 'headers'>, targetPrefix: string): boolean {
  return request.method === 'POST' && (lastHeaderValue(request, 'x-amz-target') ?? '').startsWith(targetPrefix);
}

/**
 * One local endpoint of an AWS JSON-protocol API, as the AWS SDK calls it:
 * signed by this process's SDK credentials, the operation named in X-Amz-Target,
 * its input a JSON object; answers and errors as the service sends them.
 */
export function createAwsJsonEndpoint(service: AwsJsonService): (request: GatewayRequest) => Promise<HttpResponse> {
  const { protocol } = service;
  const error = (status: number, type: string, message: string) =>
    awsJsonProtocolError(protocol, status, type, message, service.errorHeaders?.(type));
  const served = Object.keys(service.operations).join(', ');
  return async (request) => {
    if (request.bodyTooLarge) return gatewayErrorResponse('REQUEST_TOO_LARGE');
    const verdict = await verifySigV4(request, {
      region: service.region,
      service: service.signingName,
      credentialsFor: onlyCredentials(service.sdkCredentials),
    });
    if (!verdict.valid) {
      const { type, status } = SIGV4_FAILURES[verdict.failure].awsError;
      return error(status, type, `The request signature is not valid for the local ${service.name} endpoint.`);
    }
    const name = (lastHeaderValue(request, 'x-amz-target') ?? '').slice(service.targetPrefix.length);
    const operation = Object.hasOwn(service.operations, name) ? service.operations[name] : undefined;
    if (!operation) return error(400, service.errors.unknownOperation, `Local mode serves only ${served}, not ${name}.`);
    let input: unknown;
    try {
      input = JSON.parse(request.body.toString('utf8'));
    } catch {
      return error(400, service.errors.malformedInput, 'The request body is not valid JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return error(400, service.errors.malformedInput, 'The request body must be a JSON object.');
    }
    try {
      return awsJsonResponse(200, await operation(input as Record<string, unknown>), protocol);
    } catch (refusal) {
      if (refusal instanceof AwsJsonError) return error(refusal.status, refusal.type, refusal.message);
      throw refusal;
    }
  };
}
