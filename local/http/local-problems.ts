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
  headersTooLarge: problem(431, 'Request Header Fields Too Large', 'The request line and headers are too large.'),
  timeout: problem(408, 'Request Timeout', 'The request did not arrive in time.'),
  stopping: problem(503, 'Service Unavailable', 'The server is stopping.'),
} as const;

export type LocalProblem = keyof typeof LOCAL_PROBLEMS;

export function localProblemResponse(kind: LocalProblem): HttpResponse {
  const body = LOCAL_PROBLEMS[kind];
  return { statusCode: body.status, headers: { ...PROBLEM_HEADERS }, body: JSON.stringify(body) };
}
