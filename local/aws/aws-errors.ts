import { randomUUID } from 'node:crypto';
import type { HttpResponse } from '../apigateway/responses';

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
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type, 'x-amzn-RequestId': randomUUID() },
    body: JSON.stringify({ [messageMember]: message }),
  };
}

/** A successful AWS JSON answer. */
export function awsJsonResponse(status: number, body: unknown): HttpResponse {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', 'x-amzn-RequestId': randomUUID() },
    body: JSON.stringify(body),
  };
}
