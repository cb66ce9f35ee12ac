import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import type { Stage } from '../apigateway/stage';
import { type GatewayRequest, lastHeaderValue } from '../http/http-request';
import { type Credentials, onlyCredentials, SIGV4_FAILURES, verifySigV4 } from './sigv4';

/** EventBridge's JSON protocol names the operation in X-Amz-Target. */
const TARGET_PREFIX = 'AWSEvents.';
/** PutEvents takes at most 10 entries, of at most 256 KiB together. */
const MAX_ENTRIES = 10;

export interface EventBridgeOptions {
  stage: Stage;
  /** The JSON-lines file every event is appended to, one line each, as EventBridge delivers it to a target. */
  eventsFile: string;
  /** The credentials this process gives the AWS SDK: the only ones accepted. */
  sdkCredentials: () => Promise<Credentials>;
}

export function isEventBridgeRequest(request: Pick<GatewayRequest, 'method' | 'headers'>): boolean {
  return request.method === 'POST' && (lastHeaderValue(request, 'x-amz-target') ?? '').startsWith(TARGET_PREFIX);
}

function eventsResponse(status: number, body: unknown, errorType?: string): HttpResponse {
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

const validation = (message: string) => eventsResponse(400, { __type: 'ValidationException', message }, 'ValidationException');

interface Entry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Time?: unknown;
  Resources?: unknown;
}

/**
 * EventBridge's PutEvents, the one call the functions make to it: they publish
 * each audit record. They send it with the AWS SDK, which
 * AWS_ENDPOINT_URL_EVENTBRIDGE points here. Every event is appended to
 * `eventsFile` in the envelope a rule's target receives, so it can be watched
 * (`tail -f`) or read by a test; no rules run.
 */
export function createEventBridge(options: EventBridgeOptions): (request: GatewayRequest) => Promise<HttpResponse> {
  const { stage } = options;
  let directoryReady: Promise<unknown> | undefined;
  return async (request) => {
    if (request.bodyTooLarge) return gatewayErrorResponse('REQUEST_TOO_LARGE');
    const verdict = await verifySigV4(request, {
      region: stage.region,
      service: 'events',
      credentialsFor: onlyCredentials(options.sdkCredentials),
    });
    if (!verdict.valid) {
      const { type, status } = SIGV4_FAILURES[verdict.failure].awsError;
      return eventsResponse(
        status,
        { __type: type, message: 'The request signature is not valid for the local EventBridge endpoint.' },
        type,
      );
    }
    const operation = (lastHeaderValue(request, 'x-amz-target') ?? '').slice(TARGET_PREFIX.length);
    if (operation !== 'PutEvents') return validation(`Local mode serves only PutEvents, not ${operation}.`);
    let entries: Entry[];
    try {
      const body = JSON.parse(request.body.toString('utf8')) as { Entries?: unknown };
      if (!Array.isArray(body.Entries) || body.Entries.length === 0 || body.Entries.length > MAX_ENTRIES) {
        return validation(`Entries must hold 1 to ${MAX_ENTRIES} events.`);
      }
      entries = body.Entries as Entry[];
    } catch {
      return validation('The request body is not valid JSON.');
    }
    const lines: string[] = [];
    const results: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] = [];
    for (const entry of entries) {
      let detail: unknown;
      try {
        detail = typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : undefined;
      } catch {
        detail = undefined;
      }
      const bus = entry.EventBusName ?? 'default';
      if (typeof entry.Source !== 'string' || typeof entry.DetailType !== 'string' || detail === undefined || bus !== 'default') {
        results.push({
          ErrorCode: 'MalformedDetail',
          ErrorMessage: 'Source, DetailType and a JSON Detail are required, on the default bus.',
        });
        continue;
      }
      const id = randomUUID();
      const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date();
      lines.push(
        JSON.stringify({
          version: '0',
          id,
          'detail-type': entry.DetailType,
          source: entry.Source,
          account: stage.accountId,
          time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: stage.region,
          resources: Array.isArray(entry.Resources) ? entry.Resources : [],
          detail,
        }),
      );
      results.push({ EventId: id });
    }
    directoryReady ??= mkdir(dirname(options.eventsFile), { recursive: true, mode: 0o700 });
    await directoryReady;
    if (lines.length > 0) await appendFile(options.eventsFile, `${lines.map((line) => `${line}\n`).join('')}`, { mode: 0o600 });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    return eventsResponse(200, { FailedEntryCount: failed, Entries: results });
  };
}
