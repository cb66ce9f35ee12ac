import { randomUUID } from 'node:crypto';
import type { HttpResponse } from '../apigateway/responses';
import type { EmbeddedDynamoDb } from '../boot/embedded-dynamodb';
import type { GatewayRequest } from '../http/http-request';
import { type Credentials, onlyCredentials, precheckSigV4, SIGV4_FAILURES, type SigV4Failure, verifySigV4 } from './sigv4';

/** `DynamoDB_20120810.GetItem` and the like: the JSON protocol names the operation in a header, and posts to `/`. */
const TARGET_PATTERN = /^DynamoDB_\d{8}\./;

/** DynamoDB's own words for each refusal. */
const REFUSALS: Record<SigV4Failure, string> = {
  missing: 'Request is missing Authentication Token',
  malformed: 'The Authorization header, X-Amz-Date or the signed headers are not valid.',
  unknownAccessKey: 'The security token included in the request is invalid.',
  invalidToken: 'The security token included in the request is invalid.',
  wrongScope: 'Credential should be scoped to this region and to service dynamodb.',
  expired: 'Signature expired.',
  mismatch: 'The request signature we calculated does not match the signature you provided.',
};

export interface DynamoDbEndpointOptions {
  region: string;
  /** The credentials this process gives the AWS SDK: the only ones accepted. */
  sdkCredentials: () => Promise<Credentials>;
  database: EmbeddedDynamoDb;
}

export function isDynamoDbRequest(request: Pick<GatewayRequest, 'method' | 'rawPath' | 'headers'>): boolean {
  const target = request.headers['x-amz-target']?.[0];
  return request.method === 'POST' && request.rawPath === '/' && target !== undefined && TARGET_PATTERN.test(target);
}

/** An error as DynamoDB sends it: its type in `__type`, with 400 for every client error, authentication included. */
function dynamoDbError(type: string, message: string, status = 400): HttpResponse {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': randomUUID() },
    body: JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message }),
  };
}

const refusal = (failure: SigV4Failure) => dynamoDbError(SIGV4_FAILURES[failure].awsError.type, REFUSALS[failure]);

/**
 * The embedded DynamoDB's endpoint, which AWS_ENDPOINT_URL_DYNAMODB points the
 * handlers at: a request signed (service `dynamodb`) with this process's own SDK
 * credentials, whose secret no one else knows, goes on to the store; any other
 * gets DynamoDB's error for it, so the table is this process's alone.
 */
export function createDynamoDbEndpoint(options: DynamoDbEndpointOptions): (request: GatewayRequest) => Promise<HttpResponse> {
  const sigV4 = { region: options.region, service: 'dynamodb', credentialsFor: onlyCredentials(options.sdkCredentials) };
  return async (request) => {
    if (request.bodyTooLarge) {
      // The signature covers the body, which was not kept: every other check still comes first.
      const verdict = await precheckSigV4(request, sigV4);
      return verdict.valid
        ? dynamoDbError('RequestEntityTooLarge', 'Local mode holds at most 1 MiB of a request.', 413)
        : refusal(verdict.failure);
    }
    const verdict = await verifySigV4(request, sigV4);
    return verdict.valid ? options.database.serve(request) : refusal(verdict.failure);
  };
}
