import { gatewayErrorResponse, type HttpResponse } from '../apigateway/responses';
import type { Stage } from '../apigateway/stage';
import { type GatewayRequest, percentDecode } from '../http/http-request';
import { awsErrorResponse, awsJsonResponse } from './aws-errors';
import { type Credentials, onlyCredentials, parseAuthorization, SIGV4_FAILURES, verifySigV4 } from './sigv4';
import type { LocalQueue } from './sqs';

/**
 * Where CreateSchedule (`POST /schedules/{Name}`) and UpdateSchedule (`PUT /schedules/{Name}`)
 * live. Anything else under /schedules is refused as a ValidationException.
 */
const SCHEDULES_PATH = /^\/schedules(?:\/|$)/;
const SCHEDULE_PATH = /^\/schedules\/([^/]+)$/;
const NAME_PATTERN = /^[0-9a-zA-Z._-]{1,64}$/;
const AT_EXPRESSION = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/;
/** setTimeout takes at most 2^31 - 1 ms (about 24.8 days); a later schedule waits in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SchedulerOptions {
  stage: Stage;
  /** The schedule group the handlers are given (FLUSH_SCHEDULE_GROUP); the only one that exists here. */
  groupName: string;
  /** The credentials this process gives the AWS SDK: the only ones accepted. */
  sdkCredentials: () => Promise<Credentials>;
  /** The queues a schedule may target (an SQS templated target): the schedule's Input becomes a message. */
  queues: readonly LocalQueue[];
  now?: () => number;
}

export interface LocalScheduler {
  handle(request: GatewayRequest): Promise<HttpResponse>;
  /** Names of the schedules still waiting to run, in creation order. */
  pending(): string[];
  /** Cancels every pending schedule. Nothing survives a restart, and nothing needs to: the cache they flush is in memory. */
  close(): void;
}

interface Schedule {
  arn: string;
  clientToken?: string;
  timer?: NodeJS.Timeout;
}

class Invalid extends Error {}
const validation = (message: string) => new Invalid(message);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalEnum(body: Record<string, unknown>, field: string, allowed: string[]): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value)) throw validation(`${field} must be one of ${allowed.join(', ')}.`);
  return value;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, as epoch milliseconds. */
function parseAtExpression(expression: unknown): number | undefined {
  if (typeof expression !== 'string') return undefined;
  const parts = AT_EXPRESSION.exec(expression);
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number);
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(time);
  // Date.UTC rolls 2030-02-30 over into March; a real calendar date survives the round trip.
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute;
  return roundTrips && second < 60 ? time : undefined;
}

interface ValidSchedule {
  runAt: number;
  target: { queue: LocalQueue; body: string };
  enabled: boolean;
  deleteAfterRun: boolean;
  clientToken?: string;
}

/**
 * The CreateSchedule or UpdateSchedule input (both take the whole definition), checked
 * as far as local mode runs it: one-time, UTC, a message for one of the local queues.
 */
function validate(body: Record<string, unknown>, queues: readonly LocalQueue[]): ValidSchedule {
  const runAt = parseAtExpression(body.ScheduleExpression);
  if (runAt === undefined)
    throw validation('Local mode runs one-time schedules only: ScheduleExpression must be at(yyyy-mm-ddThh:mm:ss).');
  const timezone = body.ScheduleExpressionTimezone;
  if (timezone !== undefined && timezone !== 'UTC')
    throw validation('Local mode runs schedules in UTC only: ScheduleExpressionTimezone must be UTC.');

  const window = body.FlexibleTimeWindow;
  if (!isObject(window)) throw validation('FlexibleTimeWindow is required.');
  const mode = optionalEnum(window, 'Mode', ['OFF', 'FLEXIBLE']);
  if (mode === undefined) throw validation('FlexibleTimeWindow.Mode is required.');
  const maximumWindow = window.MaximumWindowInMinutes;
  if (
    mode === 'FLEXIBLE' &&
    !(Number.isInteger(maximumWindow) && (maximumWindow as number) >= 1 && (maximumWindow as number) <= 1440)
  ) {
    throw validation('FlexibleTimeWindow.MaximumWindowInMinutes must be 1 to 1440 when Mode is FLEXIBLE.');
  }
  const state = optionalEnum(body, 'State', ['ENABLED', 'DISABLED']);
  const afterCompletion = optionalEnum(body, 'ActionAfterCompletion', ['NONE', 'DELETE']);

  const target = body.Target;
  if (!isObject(target)) throw validation('Target is required.');
  const queue = queues.find((candidate) => candidate.arn === target.Arn);
  if (!queue) {
    throw validation(`Local mode runs SQS targets only: Target.Arn must be one of ${queues.map((q) => q.arn).join(', ')}.`);
  }
  if (typeof target.RoleArn !== 'string' || !ROLE_ARN_PATTERN.test(target.RoleArn))
    throw validation('Target.RoleArn must be an IAM role ARN.');
  if (typeof target.Input !== 'string' || target.Input === '') throw validation('Target.Input must be the message body.');
  const deadLetter = target.DeadLetterConfig;
  if (deadLetter !== undefined && !(isObject(deadLetter) && queues.some((candidate) => candidate.arn === deadLetter.Arn))) {
    throw validation('Target.DeadLetterConfig.Arn must be one of the local queues.');
  }
  const clientToken = typeof body.ClientToken === 'string' && body.ClientToken !== '' ? body.ClientToken : undefined;
  return {
    runAt,
    target: { queue, body: target.Input },
    enabled: state !== 'DISABLED',
    deleteAfterRun: afterCompletion === 'DELETE',
    clientToken,
  };
}

/**
 * A call for the Scheduler: under /schedules and signed for service `scheduler`.
 * Anything else there is left to the gateway, which answers as the deployed API
 * does for a path it does not have.
 */
export function isSchedulerRequest(request: Pick<GatewayRequest, 'rawPath' | 'headers'>): boolean {
  const authorization = request.headers.authorization?.[0];
  return (
    SCHEDULES_PATH.test(request.rawPath) &&
    authorization !== undefined &&
    parseAuthorization(authorization)?.service === 'scheduler'
  );
}

/**
 * EventBridge Scheduler's CreateSchedule and UpdateSchedule, for the one kind of
 * schedule the handlers create: a one-time message on the flush queue when a key
 * expires or its rotation grace period ends, one per key, which they create and,
 * if it already exists (ConflictException), update to the new time. They send
 * these with the AWS SDK, which AWS_ENDPOINT_URL_SCHEDULER points here. AWS runs
 * a schedule within the minute after its time; this runs it on the second.
 */
export function createScheduler(options: SchedulerOptions): LocalScheduler {
  const { stage, groupName } = options;
  const now = options.now ?? Date.now;
  const schedules = new Map<string, Schedule>();
  let closed = false;

  function arnOf(name: string): string {
    return `arn:aws:scheduler:${stage.region}:${stage.accountId}:schedule/${groupName}/${name}`;
  }

  function arm(name: string, schedule: Schedule, valid: ValidSchedule): void {
    const wait = Math.max(0, valid.runAt - now());
    schedule.timer = setTimeout(
      () => {
        if (wait > MAX_TIMER_MS) return arm(name, schedule, valid);
        schedule.timer = undefined;
        // ActionAfterCompletion DELETE: the name is free again for CreateSchedule.
        if (valid.deleteAfterRun && schedules.get(name) === schedule) schedules.delete(name);
        valid.target.queue.send(valid.target.body);
      },
      Math.min(wait, MAX_TIMER_MS),
    ).unref();
  }

  async function authenticate(request: GatewayRequest): Promise<HttpResponse | undefined> {
    const verdict = await verifySigV4(request, {
      region: stage.region,
      service: 'scheduler',
      credentialsFor: onlyCredentials(options.sdkCredentials),
    });
    if (verdict.valid) return undefined;
    // An unsigned call may be someone exploring the API: it gets what the API answers for a path it does not have.
    if (verdict.failure === 'missing') return gatewayErrorResponse('MISSING_AUTHENTICATION_TOKEN');
    const { type, status } = SIGV4_FAILURES[verdict.failure].awsError;
    return awsErrorResponse(status, type, 'The request signature is not valid for the local Scheduler endpoint.');
  }

  /** CreateSchedule or UpdateSchedule, by method; both name the schedule in the path and define all of it in the body. */
  async function serve(request: GatewayRequest): Promise<HttpResponse> {
    const [, encodedName] = SCHEDULE_PATH.exec(request.rawPath) ?? [];
    const operation = request.method === 'POST' ? 'create' : request.method === 'PUT' ? 'update' : undefined;
    if (operation === undefined || encodedName === undefined) {
      throw validation(
        'Local mode serves only CreateSchedule (POST /schedules/{Name}) and UpdateSchedule (PUT /schedules/{Name}).',
      );
    }
    const name = percentDecode(encodedName);
    if (!NAME_PATTERN.test(name)) throw validation('Name must be 1 to 64 letters, digits, ".", "_" or "-".');
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      throw validation('The request body is not valid JSON.');
    }
    if (!isObject(body)) throw validation('The request body must be a JSON object.');
    const group = body.GroupName ?? 'default';
    if (group !== groupName)
      return awsErrorResponse(404, 'ResourceNotFoundException', `Schedule group ${String(group)} does not exist.`);
    const valid = validate(body, options.queues);
    return operation === 'create' ? createSchedule(name, valid) : updateSchedule(name, valid);
  }

  function createSchedule(name: string, valid: ValidSchedule): HttpResponse {
    const existing = schedules.get(name);
    if (existing) {
      // A retry of the same call (same ClientToken) succeeds again, as in AWS.
      if (valid.clientToken !== undefined && existing.clientToken === valid.clientToken) return arnResponse(existing.arn);
      return awsErrorResponse(409, 'ConflictException', `Schedule ${name} already exists.`);
    }
    const schedule: Schedule = { arn: arnOf(name), clientToken: valid.clientToken };
    schedules.set(name, schedule);
    if (valid.enabled && !closed) arm(name, schedule, valid);
    return arnResponse(schedule.arn);
  }

  /** Replaces the whole definition, as AWS does: the pending run, if any, gives way to the new one. */
  function updateSchedule(name: string, valid: ValidSchedule): HttpResponse {
    const schedule = schedules.get(name);
    // Never created, or deleted after it ran (ActionAfterCompletion DELETE).
    if (!schedule) return awsErrorResponse(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    clearTimeout(schedule.timer);
    schedule.timer = undefined;
    if (valid.enabled && !closed) arm(name, schedule, valid);
    return arnResponse(schedule.arn);
  }

  return {
    async handle(request) {
      if (request.bodyTooLarge) return gatewayErrorResponse('REQUEST_TOO_LARGE');
      const refused = await authenticate(request);
      if (refused) return refused;
      try {
        return await serve(request);
      } catch (error) {
        if (error instanceof Invalid) return awsErrorResponse(400, 'ValidationException', error.message);
        throw error;
      }
    },
    pending: () => [...schedules].filter(([, schedule]) => schedule.timer !== undefined).map(([name]) => name),
    close() {
      closed = true;
      for (const schedule of schedules.values()) clearTimeout(schedule.timer);
      schedules.clear();
    },
  };
}

/** What CreateSchedule and UpdateSchedule answer. */
function arnResponse(arn: string): HttpResponse {
  return awsJsonResponse(200, { ScheduleArn: arn });
}
