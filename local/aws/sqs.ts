import { createHash, randomUUID } from 'node:crypto';
import type { HttpResponse } from '../apigateway/responses';
import type { GatewayRequest } from '../http/http-request';
import { AwsJsonError, createAwsJsonEndpoint, isAwsJsonRequest } from './json-protocol';
import type { Credentials } from './sigv4';

/** SQS's JSON protocol names the operation in X-Amz-Target ("Amazon SQS API Reference", Making query API requests). */
const TARGET_PREFIX = 'AmazonSQS.';
const MAX_DELAY_SECONDS = 900;
const MAX_BODY_BYTES = 256 * 1024;

/** A message as a consumer receives it. */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  /** How many times it has been received, this time included. */
  receiveCount: number;
}

interface StoredMessage extends Omit<QueueMessage, 'receiptHandle'> {
  visibleAt: number;
  receiptHandle?: string;
}

export interface LocalQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  send(body: string, delaySeconds?: number): QueueMessage['messageId'];
  /** Up to `max` visible messages, hidden for the visibility timeout. Past the redrive limit a message moves to the dead-letter queue instead. */
  receive(max: number): QueueMessage[];
  delete(receiptHandle: string): void;
  /** The number of messages waiting, visible or not. */
  depth(): number;
  /** Whether a message could be received now. */
  hasVisible(): boolean;
  /** Called when a message becomes visible, so that a consumer need not poll. */
  onVisible(listener: () => void): void;
  close(): void;
}

export interface QueueDefinition {
  name: string;
  visibilityTimeoutSeconds: number;
  redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number };
}

/** An SQS standard queue in memory: delays, visibility timeouts and redrive to a dead-letter queue, as SQS does. */
export function createLocalQueue(
  definition: QueueDefinition,
  location: { url: string; arn: string },
  now: () => number = Date.now,
): LocalQueue {
  const messages: StoredMessage[] = [];
  const listeners: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();

  function wakeAt(time: number): void {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        // A timer may fire a millisecond before the clock reads its time: a consumer told then would find nothing visible, and never be told again.
        if (now() < time) return wakeAt(time);
        for (const listener of listeners) listener();
      },
      Math.max(0, time - now()),
    ).unref();
    timers.add(timer);
  }

  const queue: LocalQueue = {
    name: definition.name,
    url: location.url,
    arn: location.arn,
    send(body, delaySeconds = 0) {
      const visibleAt = now() + delaySeconds * 1000;
      const message: StoredMessage = {
        messageId: randomUUID(),
        body,
        md5OfBody: createHash('md5').update(body).digest('hex'),
        sentAt: now(),
        receiveCount: 0,
        visibleAt,
      };
      messages.push(message);
      wakeAt(visibleAt);
      return message.messageId;
    },
    receive(max) {
      const received: QueueMessage[] = [];
      for (const message of [...messages]) {
        if (received.length >= max) break;
        if (message.visibleAt > now()) continue;
        if (definition.redrive && message.receiveCount >= definition.redrive.maxReceiveCount) {
          messages.splice(messages.indexOf(message), 1);
          definition.redrive.deadLetterQueue.send(message.body);
          continue;
        }
        message.receiveCount += 1;
        message.receiptHandle = randomUUID();
        message.visibleAt = now() + definition.visibilityTimeoutSeconds * 1000;
        wakeAt(message.visibleAt);
        const { visibleAt: _, ...visible } = message;
        received.push({ ...visible, receiptHandle: message.receiptHandle });
      }
      return received;
    },
    delete(receiptHandle) {
      const index = messages.findIndex((message) => message.receiptHandle === receiptHandle);
      if (index >= 0) messages.splice(index, 1);
    },
    depth: () => messages.length,
    hasVisible: () => messages.some((message) => message.visibleAt <= now()),
    onVisible(listener) {
      listeners.push(listener);
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      listeners.length = 0;
    },
  };
  return queue;
}

export interface SqsOptions {
  region: string;
  queues: readonly LocalQueue[];
  /** The credentials this process gives the AWS SDK: the only ones accepted. */
  sdkCredentials: () => Promise<Credentials>;
}

export function isSqsRequest(request: Pick<GatewayRequest, 'method' | 'headers'>): boolean {
  return isAwsJsonRequest(request, TARGET_PREFIX);
}

const invalidParameter = (message: string) => new AwsJsonError(400, 'InvalidParameterValue', message);

/**
 * SQS's SendMessage, the one call the handlers make to it: the follow-up flushes
 * they queue. They send it with the AWS SDK, which AWS_ENDPOINT_URL_SQS points here.
 */
export function createSqs(options: SqsOptions): (request: GatewayRequest) => Promise<HttpResponse> {
  const sendMessage = (input: { QueueUrl?: unknown; MessageBody?: unknown; DelaySeconds?: unknown }) => {
    const queue = options.queues.find((candidate) => candidate.url === input.QueueUrl);
    if (!queue) throw new AwsJsonError(400, 'QueueDoesNotExist', 'The specified queue does not exist.');
    const body = input.MessageBody;
    if (typeof body !== 'string' || body === '' || Buffer.byteLength(body) > MAX_BODY_BYTES) {
      throw invalidParameter('MessageBody must be 1 byte to 256 KiB of text.');
    }
    const delay = input.DelaySeconds ?? 0;
    if (!Number.isInteger(delay) || (delay as number) < 0 || (delay as number) > MAX_DELAY_SECONDS) {
      throw invalidParameter(`DelaySeconds must be 0 to ${MAX_DELAY_SECONDS}.`);
    }
    const messageId = queue.send(body, delay as number);
    return { MessageId: messageId, MD5OfMessageBody: createHash('md5').update(body).digest('hex') };
  };
  return createAwsJsonEndpoint({
    name: 'SQS',
    targetPrefix: TARGET_PREFIX,
    protocol: 'awsJson1_0',
    signingName: 'sqs',
    region: options.region,
    sdkCredentials: options.sdkCredentials,
    errors: { unknownOperation: 'InvalidAction', malformedInput: 'InvalidParameterValue' },
    // SQS's JSON protocol is query-compatible: the query API's error code rides along.
    errorHeaders: (type) => ({ 'x-amzn-query-error': `${type};Sender` }),
    operations: { SendMessage: sendMessage },
  });
}
