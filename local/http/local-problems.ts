import { PROBLEM_HEADERS, problem } from '../../src/problem';
import type { HttpResponse } from '../apigateway/responses';

/**
 * Answers of local mode's HTTP server itself, for what never reaches the
 * stand-in for API Gateway: requests that are not valid HTTP, too slow or too
 * large to read, or that come in while the server stops. Deployed, AWS's edge
 * answers those; here they are problem+json like every other error.
 */
export const LOCAL_PROBLEMS = {
  badRequest: problem(400, 'Bad Request', 'The request is not valid HTTP/1.1.'),
  badHost: problem(400, 'Bad Request', 'An HTTP/1.1 request needs exactly one Host header.'),
  timeout: problem(408, 'Request Timeout', 'The request did not arrive in time.'),
  expectationFailed: problem(417, 'Expectation Failed', 'The only expectation this server meets is 100-continue.'),
  headersTooLarge: problem(431, 'Request Header Fields Too Large', 'The request line and headers are over 16 KiB.'),
  stopping: problem(503, 'Service Unavailable', 'The server is stopping.'),
  versionNotSupported: problem(505, 'HTTP Version Not Supported', 'This server speaks HTTP/1.0 and HTTP/1.1 only.'),
} as const;

export type LocalProblem = keyof typeof LOCAL_PROBLEMS;

/** Every 503 of the API says when to come back; a stopping server may well be restarted by then. */
const RETRY_AFTER: Partial<Record<LocalProblem, string>> = { stopping: '1' };

export function localProblemResponse(kind: LocalProblem): HttpResponse {
  const body = LOCAL_PROBLEMS[kind];
  const retryAfter = RETRY_AFTER[kind];
  return {
    statusCode: body.status,
    headers: { ...PROBLEM_HEADERS, ...(retryAfter ? { 'Retry-After': retryAfter } : {}) },
    body: JSON.stringify(body),
  };
}
