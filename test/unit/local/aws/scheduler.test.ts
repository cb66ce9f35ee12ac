import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { localStage } from '../../../../local/apigateway/stage';
import { createScheduler, isSchedulerRequest, type LocalScheduler } from '../../../../local/aws/scheduler';
import type { LocalQueue } from '../../../../local/aws/sqs';
import { createRequestListener } from '../../../../local/http/http-listener';
import type { GatewayRequest } from '../../../../local/http/http-request';

const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };
const stage = localStage('us-east-1');
const NOW = new Date('2030-01-02T03:04:05Z');
const ROLE_ARN = 'arn:aws:iam::000000000000:role/local-authorizer-cache-flush';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:authorizer-cache-flush';
const FLUSH_MESSAGE = JSON.stringify({ requestedAt: '2030-01-02T03:04:06.000Z', followUp: false });

/** The flush queue, as far as a schedule's target sees it: each message it is sent goes to `send`. */
function queueFor(send: (body: string) => void): LocalQueue {
  return { arn: QUEUE_ARN, send } as Partial<LocalQueue> as LocalQueue;
}

/** The input the handlers send, as in lambdas/shared/authorizer-cache-invalidation.ts, without the name. */
function flushInput(at: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    GroupName: 'local',
    ScheduleExpression: `at(${at})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, Input: FLUSH_MESSAGE },
    ...overrides,
  };
}

/** A call signed the way the SDK signs it, as the server receives it. */
async function schedulerCall(
  path: string,
  body: unknown,
  options: {
    method?: string;
    credentials?: typeof SDK_CREDENTIALS & { sessionToken?: string };
    service?: string;
    unsigned?: boolean;
  } = {},
): Promise<GatewayRequest> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const unsignedRequest = new HttpRequest({
    method: options.method ?? 'POST',
    path,
    headers: { host: '127.0.0.1:3000', 'content-type': 'application/json' },
    body: text,
  });
  const signer = new SignatureV4({
    credentials: options.credentials ?? SDK_CREDENTIALS,
    region: 'us-east-1',
    service: options.service ?? 'scheduler',
    sha256: Sha256,
  });
  const sent = options.unsigned ? unsignedRequest : await signer.sign(unsignedRequest, { signingDate: new Date() });
  const headerPairs = Object.entries(sent.headers);
  return {
    method: sent.method,
    rawPath: path,
    rawQuery: '',
    headerPairs,
    headers: Object.fromEntries(headerPairs.map(([name, value]) => [name.toLowerCase(), [value]])),
    body: Buffer.from(text),
    bodyTooLarge: false,
    sourceIp: '127.0.0.1',
    receivedAt: new Date(),
  };
}

const parsed = (response: { body: string | Buffer }) => JSON.parse(String(response.body));

describe('local Scheduler: CreateSchedule', () => {
  const flushAuthorizerCache = jest.fn();
  let scheduler: LocalScheduler;
  const create = async (name: string, input: unknown, options?: Parameters<typeof schedulerCall>[2]) =>
    scheduler.handle(await schedulerCall(`/schedules/${name}`, input, options));

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    flushAuthorizerCache.mockClear();
    scheduler = createScheduler({
      stage,
      groupName: 'local',
      sdkCredentials: async () => SDK_CREDENTIALS,
      queues: [queueFor(flushAuthorizerCache)],
    });
  });

  afterEach(() => {
    scheduler.close();
    jest.useRealTimers();
  });

  it('takes only calls under /schedules signed for the Scheduler, leaving the rest to the gateway', async () => {
    expect(isSchedulerRequest(await schedulerCall('/schedules/flush-key_1-1', {}))).toBe(true);
    expect(isSchedulerRequest(await schedulerCall('/schedules', {}))).toBe(true);
    expect(isSchedulerRequest(await schedulerCall('/schedule-groups/local', {}))).toBe(false);
    expect(isSchedulerRequest(await schedulerCall('/keys', {}))).toBe(false);
    expect(isSchedulerRequest(await schedulerCall('/schedules/flush-key_1-1', {}, { unsigned: true }))).toBe(false);
    expect(isSchedulerRequest(await schedulerCall('/schedules/flush-key_1-1', {}, { service: 'execute-api' }))).toBe(false);
  });

  it('answers 200 with the schedule’s ARN, and flushes the authorizer cache at the time, not before', async () => {
    const response = await create('flush-key_1-1893553448', flushInput('2030-01-02T03:04:08'));
    expect(response.statusCode).toBe(200);
    expect(response.headers['Content-Type']).toBe('application/json');
    expect(parsed(response)).toEqual({
      ScheduleArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/local/flush-key_1-1893553448',
    });
    expect(scheduler.pending()).toEqual(['flush-key_1-1893553448']);

    jest.advanceTimersByTime(2_999);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    expect(scheduler.pending()).toEqual([]);
  });

  it('answers 409 ConflictException for a name that exists; a name deleted after its run is free again', async () => {
    expect((await create('flush-a', flushInput('2030-01-02T03:04:06'))).statusCode).toBe(200);
    const conflict = await create('flush-a', flushInput('2030-01-02T03:04:07'));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['x-amzn-ErrorType']).toBe('ConflictException');
    expect(parsed(conflict)).toEqual({ Message: 'Schedule flush-a already exists.' });

    jest.advanceTimersByTime(1_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    expect((await create('flush-a', flushInput('2030-01-02T03:04:09'))).statusCode).toBe(200);
  });

  it('keeps a schedule that is not deleted after completion, so its name stays taken', async () => {
    await create('flush-kept', flushInput('2030-01-02T03:04:06', { ActionAfterCompletion: 'NONE' }));
    jest.advanceTimersByTime(1_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    expect((await create('flush-kept', flushInput('2030-01-02T03:04:09'))).statusCode).toBe(409);
  });

  it('succeeds again for a retry of the same call (same ClientToken), scheduling once', async () => {
    const input = flushInput('2030-01-02T03:04:06', { ClientToken: 'token-1' });
    const first = await create('flush-retried', input);
    const retried = await create('flush-retried', input);
    expect(retried.statusCode).toBe(200);
    expect(parsed(retried)).toEqual(parsed(first));
    jest.advanceTimersByTime(1_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('runs a schedule whose time has passed at once, and a disabled one never', async () => {
    await create('flush-late', flushInput('2030-01-02T03:00:00'));
    await create('flush-off', flushInput('2030-01-02T03:04:06', { State: 'DISABLED' }));
    jest.advanceTimersByTime(0);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(60_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('waits for a schedule further ahead than one timer can (about 24.8 days)', async () => {
    await create('flush-far', flushInput('2030-02-01T03:04:05'));
    jest.advanceTimersByTime(30 * 86_400_000 - 1);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('cancels pending schedules on close', async () => {
    await create('flush-cancelled', flushInput('2030-01-02T03:04:06'));
    scheduler.close();
    expect(scheduler.pending()).toEqual([]);
    jest.advanceTimersByTime(60_000);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });

  it('keeps its timers from holding the process open', async () => {
    jest.useRealTimers();
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    try {
      await create('flush-unref', flushInput('2099-01-02T03:04:06'));
      const timers = setTimeoutSpy.mock.results.map((result) => result.value as NodeJS.Timeout);
      expect(timers).toHaveLength(1);
      expect(timers[0].hasRef()).toBe(false);
    } finally {
      setTimeoutSpy.mockRestore();
    }
  });

  it.each([
    ['a rate expression', flushInput('x', { ScheduleExpression: 'rate(5 minutes)' })],
    ['a date that does not exist', flushInput('2030-02-30T00:00:00')],
    ['a month out of range', flushInput('2030-13-02T03:04:05')],
    ['an hour out of range', flushInput('2030-01-02T24:00:00')],
    ['a second out of range', flushInput('2030-01-02T03:04:60')],
    ['a space for the T', flushInput('2030-01-02 03:04:05')],
    ['an expression that is not text', flushInput('x', { ScheduleExpression: 42 })],
    ['a time zone other than UTC', flushInput('2030-01-02T03:04:06', { ScheduleExpressionTimezone: 'Europe/Berlin' })],
    ['no flexible time window', flushInput('2030-01-02T03:04:06', { FlexibleTimeWindow: undefined })],
    ['a flexible window without its length', flushInput('2030-01-02T03:04:06', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } })],
    [
      'another target',
      flushInput('2030-01-02T03:04:06', {
        Target: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f', RoleArn: ROLE_ARN, Input: '{}' },
      }),
    ],
    [
      'no role',
      flushInput('2030-01-02T03:04:06', {
        Target: { Arn: QUEUE_ARN, Input: FLUSH_MESSAGE },
      }),
    ],
    [
      'a queue that does not exist here',
      flushInput('2030-01-02T03:04:06', {
        Target: { Arn: 'arn:aws:sqs:us-east-1:000000000000:someone-elses-queue', RoleArn: ROLE_ARN, Input: FLUSH_MESSAGE },
      }),
    ],
    ['no message body', flushInput('2030-01-02T03:04:06', { Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, Input: '' } })],
    [
      'a dead-letter queue that does not exist here',
      flushInput('2030-01-02T03:04:06', {
        Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, Input: FLUSH_MESSAGE, DeadLetterConfig: { Arn: 'arn:aws:sqs:x:1:y' } },
      }),
    ],
    ['an unknown ActionAfterCompletion', flushInput('2030-01-02T03:04:06', { ActionAfterCompletion: 'ARCHIVE' })],
    ['a body that is not JSON', '{"GroupName":'],
    ['a body that is not an object', '[]'],
  ])('answers 400 ValidationException for %s, scheduling nothing', async (_, input) => {
    const response = await create('flush-bad', input);
    expect(response.statusCode).toBe(400);
    expect(response.headers['x-amzn-ErrorType']).toBe('ValidationException');
    expect(parsed(response)).toEqual({ Message: expect.any(String) });
    expect(scheduler.pending()).toEqual([]);
  });

  it('answers 400 ValidationException for a bad name and for operations it does not serve', async () => {
    const responses = [
      await create('x'.repeat(65), flushInput('2030-01-02T03:04:06')),
      await create('bad%20name', flushInput('2030-01-02T03:04:06')),
      await scheduler.handle(await schedulerCall('/schedules/flush-a', '', { method: 'GET' })),
      await scheduler.handle(await schedulerCall('/schedules/flush-a', '', { method: 'DELETE' })),
      await scheduler.handle(await schedulerCall('/schedules', flushInput('2030-01-02T03:04:06'), { method: 'PUT' })),
      await scheduler.handle(await schedulerCall('/schedules', '{}')),
    ];
    for (const response of responses) {
      expect(response.statusCode).toBe(400);
      expect(response.headers['x-amzn-ErrorType']).toBe('ValidationException');
    }
  });

  it('answers 404 ResourceNotFoundException for a group other than its own, as AWS does for a missing group', async () => {
    for (const group of ['default', undefined]) {
      const response = await create('flush-elsewhere', flushInput('2030-01-02T03:04:06', { GroupName: group }));
      expect(response.statusCode).toBe(404);
      expect(response.headers['x-amzn-ErrorType']).toBe('ResourceNotFoundException');
    }
    expect(scheduler.pending()).toEqual([]);
  });

  it('refuses calls not signed for the Scheduler with the SDK’s credentials', async () => {
    const unsigned = await create('flush-a', flushInput('2030-01-02T03:04:06'), { unsigned: true });
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.headers['Content-Type']).toBe('application/problem+json');
    const wrongSecret = await create('flush-a', flushInput('2030-01-02T03:04:06'), {
      credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'guess' },
    });
    expect(wrongSecret.statusCode).toBe(403);
    expect(wrongSecret.headers['x-amzn-ErrorType']).toBe('InvalidSignatureException');
    const otherKey = await create('flush-a', flushInput('2030-01-02T03:04:06'), {
      credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'sdk-secret' },
    });
    expect(otherKey.headers['x-amzn-ErrorType']).toBe('UnrecognizedClientException');
    const otherService = await create('flush-a', flushInput('2030-01-02T03:04:06'), { service: 'apigateway' });
    expect(otherService.statusCode).toBe(403);
    expect(scheduler.pending()).toEqual([]);
  });

  it('refuses X-Amz-Security-Token with the SDK’s long-term credentials, as AWS does: 403 UnrecognizedClientException', async () => {
    const withToken = await create('flush-a', flushInput('2030-01-02T03:04:06'), {
      credentials: { ...SDK_CREDENTIALS, sessionToken: 'made-up' },
    });
    expect(withToken.statusCode).toBe(403);
    expect(withToken.headers['x-amzn-ErrorType']).toBe('UnrecognizedClientException');
    expect(scheduler.pending()).toEqual([]);
  });
});

describe('local Scheduler: UpdateSchedule', () => {
  const flushAuthorizerCache = jest.fn();
  let scheduler: LocalScheduler;
  const create = async (name: string, input: unknown) => scheduler.handle(await schedulerCall(`/schedules/${name}`, input));
  const update = async (name: string, input: unknown, options?: Parameters<typeof schedulerCall>[2]) =>
    scheduler.handle(await schedulerCall(`/schedules/${name}`, input, { method: 'PUT', ...options }));

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    flushAuthorizerCache.mockClear();
    scheduler = createScheduler({
      stage,
      groupName: 'local',
      sdkCredentials: async () => SDK_CREDENTIALS,
      queues: [queueFor(flushAuthorizerCache)],
    });
  });

  afterEach(() => {
    scheduler.close();
    jest.useRealTimers();
  });

  it('moves a pending schedule earlier: it runs at the new time, once', async () => {
    expect((await create('flush-key_1', flushInput('2030-01-02T04:04:05'))).statusCode).toBe(200);
    const response = await update('flush-key_1', flushInput('2030-01-02T03:04:08'));
    expect(response.statusCode).toBe(200);
    expect(response.headers['Content-Type']).toBe('application/json');
    expect(parsed(response)).toEqual({ ScheduleArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/local/flush-key_1' });
    expect(scheduler.pending()).toEqual(['flush-key_1']);

    jest.advanceTimersByTime(2_999);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    expect(scheduler.pending()).toEqual([]);
    // The old time passes without a second run.
    jest.advanceTimersByTime(3_600_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('moves a pending schedule later: nothing runs at the old time', async () => {
    await create('flush-key_1', flushInput('2030-01-02T03:04:06'));
    expect((await update('flush-key_1', flushInput('2030-01-02T03:04:10'))).statusCode).toBe(200);
    jest.advanceTimersByTime(4_999);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('moves a schedule further ahead than one timer can, and back', async () => {
    await create('flush-far', flushInput('2030-01-02T03:04:06'));
    await update('flush-far', flushInput('2030-02-01T03:04:05'));
    jest.advanceTimersByTime(26 * 86_400_000);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
    // Now waiting on its second timer: an update still replaces it.
    await update('flush-far', flushInput('2030-01-28T03:04:06'));
    jest.advanceTimersByTime(999);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10 * 86_400_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('answers 404 ResourceNotFoundException for a name that does not exist, creating nothing', async () => {
    const response = await update('flush-never', flushInput('2030-01-02T03:04:06'));
    expect(response.statusCode).toBe(404);
    expect(response.headers['x-amzn-ErrorType']).toBe('ResourceNotFoundException');
    expect(parsed(response)).toEqual({ Message: 'Schedule flush-never does not exist.' });
    expect(scheduler.pending()).toEqual([]);
    jest.advanceTimersByTime(60_000);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });

  it('answers 404 once the schedule has run and deleted itself; CreateSchedule then takes the name again', async () => {
    await create('flush-key_1', flushInput('2030-01-02T03:04:06'));
    jest.advanceTimersByTime(1_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    expect((await update('flush-key_1', flushInput('2030-01-02T03:04:09'))).statusCode).toBe(404);
    expect((await create('flush-key_1', flushInput('2030-01-02T03:04:09'))).statusCode).toBe(200);
    jest.advanceTimersByTime(3_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(2);
  });

  it('runs a kept schedule again at its new time, and stops one it disables', async () => {
    await create('flush-kept', flushInput('2030-01-02T03:04:06', { ActionAfterCompletion: 'NONE' }));
    jest.advanceTimersByTime(1_000);
    expect((await update('flush-kept', flushInput('2030-01-02T03:04:08', { ActionAfterCompletion: 'NONE' }))).statusCode).toBe(
      200,
    );
    jest.advanceTimersByTime(2_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(2);

    await create('flush-off', flushInput('2030-01-02T03:04:10'));
    expect((await update('flush-off', flushInput('2030-01-02T03:04:10', { State: 'DISABLED' }))).statusCode).toBe(200);
    expect(scheduler.pending()).toEqual([]);
    jest.advanceTimersByTime(60_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(2);
  });

  it('answers 400 ValidationException for a definition it cannot run, leaving the schedule as it was', async () => {
    await create('flush-key_1', flushInput('2030-01-02T03:04:06'));
    for (const input of [
      flushInput('x', { ScheduleExpression: 'rate(5 minutes)' }),
      flushInput('2030-01-02T03:04:06', {
        Target: { Arn: 'arn:aws:sqs:us-east-1:000000000000:someone-elses-queue', RoleArn: ROLE_ARN, Input: FLUSH_MESSAGE },
      }),
      flushInput('2030-01-02T03:04:06', { FlexibleTimeWindow: undefined }),
      '{"GroupName":',
    ]) {
      const response = await update('flush-key_1', input);
      expect(response.statusCode).toBe(400);
      expect(response.headers['x-amzn-ErrorType']).toBe('ValidationException');
    }
    expect((await update('x'.repeat(65), flushInput('2030-01-02T03:04:06'))).statusCode).toBe(400);
    expect(scheduler.pending()).toEqual(['flush-key_1']);
    jest.advanceTimersByTime(1_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('answers 404 for a group other than its own, leaving the schedule as it was', async () => {
    await create('flush-key_1', flushInput('2030-01-02T03:04:06'));
    const response = await update('flush-key_1', flushInput('2030-01-02T03:04:30', { GroupName: 'default' }));
    expect(response.statusCode).toBe(404);
    expect(parsed(response)).toEqual({ Message: 'Schedule group default does not exist.' });
    jest.advanceTimersByTime(1_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('refuses calls not signed for the Scheduler with the SDK’s credentials, leaving the schedule as it was', async () => {
    await create('flush-key_1', flushInput('2030-01-02T03:04:06'));
    const later = flushInput('2030-01-02T03:04:30');
    const unsigned = await update('flush-key_1', later, { unsigned: true });
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.headers['Content-Type']).toBe('application/problem+json');
    const wrongSecret = await update('flush-key_1', later, { credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'guess' } });
    expect(wrongSecret.headers['x-amzn-ErrorType']).toBe('InvalidSignatureException');
    const otherService = await update('flush-key_1', later, { service: 'execute-api' });
    expect(otherService.statusCode).toBe(403);
    jest.advanceTimersByTime(1_000);
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
  });

  it('schedules nothing after close', async () => {
    await create('flush-key_1', flushInput('2030-01-02T03:04:06'));
    scheduler.close();
    expect((await update('flush-key_1', flushInput('2030-01-02T03:04:08'))).statusCode).toBe(404);
    jest.advanceTimersByTime(60_000);
    expect(flushAuthorizerCache).not.toHaveBeenCalled();
  });
});

describe('local Scheduler through the AWS SDK', () => {
  let server: Server;
  let client: SchedulerClient;
  const flushAuthorizerCache = jest.fn();
  let scheduler: LocalScheduler;

  beforeAll(async () => {
    scheduler = createScheduler({
      stage,
      groupName: 'local',
      sdkCredentials: async () => SDK_CREDENTIALS,
      queues: [queueFor(flushAuthorizerCache)],
    });
    server = createServer(
      createRequestListener((request) => scheduler.handle(request), { maxBodyBytes: 1024 * 1024, stopping: () => false }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new SchedulerClient({ endpoint, region: 'us-east-1', credentials: SDK_CREDENTIALS, maxAttempts: 1 });
  });

  afterAll(async () => {
    client.destroy();
    scheduler.close();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  /** Exactly what the handlers send, a few seconds ahead. */
  const command = (name: string, overrides: Partial<CreateScheduleCommandInput> = {}) => {
    const at = new Date(Date.now() + 60_000).toISOString().slice(0, 19);
    return new CreateScheduleCommand({
      Name: name,
      GroupName: 'local',
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, Input: FLUSH_MESSAGE },
      ...overrides,
    });
  };

  it('creates a schedule and returns its ARN', async () => {
    const output = await client.send(command('flush-key_01J0000000000000000000000-1893553448'));
    expect(output.ScheduleArn).toBe(
      'arn:aws:scheduler:us-east-1:000000000000:schedule/local/flush-key_01J0000000000000000000000-1893553448',
    );
    expect(output.$metadata.requestId).toEqual(expect.any(String));
    expect(scheduler.pending()).toContain('flush-key_01J0000000000000000000000-1893553448');
  });

  it('throws ConflictException for a duplicate name, as the handlers expect', async () => {
    await client.send(command('flush-twice'));
    await expect(client.send(command('flush-twice'))).rejects.toMatchObject({
      name: 'ConflictException',
      message: 'Schedule flush-twice already exists.',
    });
  });

  it('moves a schedule that exists with UpdateSchedule, after CreateSchedule’s ConflictException, as the handlers do', async () => {
    const first = await client.send(command('flush-key_02J0000000000000000000000'));
    const conflict = await client.send(command('flush-key_02J0000000000000000000000')).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ConflictException);
    const input = command('flush-key_02J0000000000000000000000').input;
    const earlier = `at(${new Date(Date.now() + 30_000).toISOString().slice(0, 19)})`;
    const output = await client.send(new UpdateScheduleCommand({ ...input, ScheduleExpression: earlier }));
    expect(output.ScheduleArn).toBe(first.ScheduleArn);
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200, requestId: expect.any(String) });
    expect(scheduler.pending().filter((name) => name === 'flush-key_02J0000000000000000000000')).toHaveLength(1);
  });

  it('throws ResourceNotFoundException from UpdateSchedule for a schedule that does not exist', async () => {
    const { input } = command('flush-missing');
    await expect(client.send(new UpdateScheduleCommand(input))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Schedule flush-missing does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
    expect(scheduler.pending()).not.toContain('flush-missing');
  });

  it('flushes at the time UpdateSchedule set, over HTTP with real timers', async () => {
    flushAuthorizerCache.mockClear();
    const soon = () => `at(${new Date(Math.ceil(Date.now() / 1000) * 1000 + 1_000).toISOString().slice(0, 19)})`;
    await client.send(command('flush-soon'));
    await client.send(new UpdateScheduleCommand({ ...command('flush-soon').input, ScheduleExpression: soon() }));
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(flushAuthorizerCache).toHaveBeenCalledTimes(1);
    expect(scheduler.pending()).not.toContain('flush-soon');
    // Deleted after it ran: the name is free for CreateSchedule again.
    await expect(client.send(command('flush-soon'))).resolves.toMatchObject({
      ScheduleArn: expect.stringMatching(/\/flush-soon$/),
    });
  });

  it('throws ValidationException for a schedule it cannot run', async () => {
    await expect(client.send(command('flush-rate', { ScheduleExpression: 'rate(1 hour)' }))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
