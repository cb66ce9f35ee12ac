import { randomUUID } from 'node:crypto';
import type { HttpResponse } from '../apigateway/responses';

/**
 * The protocols of the AWS APIs local mode serves: REST-JSON (API Gateway,
 * EventBridge Scheduler), and the JSON protocol, which names the operation in
 * X-Amz-Target (awsJson1_0: SQS; awsJson1_1: EventBridge, Systems Manager).
 */
export type AwsProtocol = 'restJson' | 'awsJson1_0' | 'awsJson1_1';

const CONTENT_TYPES: Record<AwsProtocol, string> = {
  restJson: 'application/json',
  awsJson1_0: 'application/x-amz-json-1.0',
  awsJson1_1: 'application/x-amz-json-1.1',
};

function awsResponse(protocol: AwsProtocol, status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode: status,
    headers: { 'Content-Type': CONTENT_TYPES[protocol], 'x-amzn-RequestId': randomUUID(), ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * An error as AWS service APIs send it, and as the SDK reads it: the type in
 * x-amzn-ErrorType, the text in the body member the service's protocol names
 * (`Message` for EventBridge Scheduler, `message` for API Gateway).
 */
export function awsErrorResponse(
  status: number,
  type: string,
  message: string,
  messageMember: 'Message' | 'message' = 'Message',
): HttpResponse {
  return awsResponse('restJson', status, { [messageMember]: message }, { 'x-amzn-ErrorType': type });
}

/** A successful AWS JSON answer. */
export function awsJsonResponse(status: number, body: unknown, protocol: AwsProtocol = 'restJson'): HttpResponse {
  return awsResponse(protocol, status, body);
}

/**
 * An error in the JSON protocol: the type in x-amzn-ErrorType and in the body's
 * `__type`, the text in `message`, and any headers the service adds.
 */
export function awsJsonProtocolError(
  protocol: Exclude<AwsProtocol, 'restJson'>,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return awsResponse(protocol, status, { __type: type, message }, { 'x-amzn-ErrorType': type, ...headers });
}
