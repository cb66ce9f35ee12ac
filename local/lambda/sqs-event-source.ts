import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { LocalQueue, QueueMessage } from '../aws/sqs';

export interface SqsEventSourceOptions {
  queue: LocalQueue;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** How many messages one invocation gets at most. */
  batchSize: number;
  /** How long to gather a batch once the first message is there. */
  maxBatchingWindowMs: number;
  region: string;
  /** Where a failed invocation is reported; the messages are delivered again all the same. */
  onError: (error: unknown) => void;
}

export interface LocalEventSource {
  close(): Promise<void>;
}

function sqsEvent(messages: QueueMessage[], queue: LocalQueue, region: string): SQSEvent {
  return {
    Records: messages.map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'LOCAL',
        ApproximateFirstReceiveTimestamp: String(message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: message.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: region,
    })),
  };
}

/**
 * Lambda's SQS event source mapping, as configured in the stack: batches of up
 * to batchSize gathered for up to the batching window, one invocation at a time
 * (the stack allows two; one is enough here), ReportBatchItemFailures: the
 * messages named in batchItemFailures, or all of them when the function throws,
 * stay on the queue and come back after the visibility timeout.
 */
export function startSqsEventSource(options: SqsEventSourceOptions): LocalEventSource {
  const { queue } = options;
  let running: Promise<void> | undefined;
  let closed = false;
  let gathering: NodeJS.Timeout | undefined;

  async function invoke(): Promise<void> {
    const messages = queue.receive(options.batchSize);
    if (messages.length === 0) return;
    let failed = new Set(messages.map((message) => message.messageId));
    try {
      const response = await options.handler(sqsEvent(messages, queue, options.region));
      failed = new Set((response.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      options.onError(error);
    }
    for (const message of messages) if (!failed.has(message.messageId)) queue.delete(message.receiptHandle);
  }

  function poll(): void {
    if (closed || running || gathering || !queue.hasVisible()) return;
    gathering = setTimeout(() => {
      gathering = undefined;
      running = invoke().finally(() => {
        running = undefined;
        poll();
      });
    }, options.maxBatchingWindowMs).unref();
  }

  queue.onVisible(poll);
  poll();
  return {
    async close() {
      closed = true;
      clearTimeout(gathering);
      await running;
    },
  };
}
