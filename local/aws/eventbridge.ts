import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HttpResponse } from '../apigateway/responses';
import type { Stage } from '../apigateway/stage';
import type { GatewayRequest } from '../http/http-request';
import { AwsJsonError, createAwsJsonEndpoint, isAwsJsonRequest } from './json-protocol';
import type { Credentials } from './sigv4';

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
  return isAwsJsonRequest(request, TARGET_PREFIX);
}

const validation = (message: string) => new AwsJsonError(400, 'ValidationException', message);

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
  const putEvents = async (input: { Entries?: unknown }) => {
    if (!Array.isArray(input.Entries) || input.Entries.length === 0 || input.Entries.length > MAX_ENTRIES) {
      throw validation(`Entries must hold 1 to ${MAX_ENTRIES} events.`);
    }
    const entries = input.Entries as Entry[];
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
    return { FailedEntryCount: failed, Entries: results };
  };
  return createAwsJsonEndpoint({
    name: 'EventBridge',
    targetPrefix: TARGET_PREFIX,
    protocol: 'awsJson1_1',
    signingName: 'events',
    region: stage.region,
    sdkCredentials: options.sdkCredentials,
    errors: { unknownOperation: 'ValidationException', malformedInput: 'ValidationException' },
    operations: { PutEvents: putEvents },
  });
}
