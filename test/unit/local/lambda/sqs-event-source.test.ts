import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLocalQueue, type LocalQueue } from '../../../../local/aws/sqs';
import { type LocalEventSource, startSqsEventSource } from '../../../../local/lambda/sqs-event-source';

const location = (name: string) => ({
  url: `http://127.0.0.1:1/000000000000/${name}`,
  arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
});

describe('the local SQS event source', () => {
  let queue: LocalQueue;
  let deadLetters: LocalQueue;
  let source: LocalEventSource | undefined;
  const batches: string[][] = [];

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    batches.length = 0;
    deadLetters = createLocalQueue({ name: 'dlq', visibilityTimeoutSeconds: 30 }, location('dlq'));
    queue = createLocalQueue(
      { name: 'q', visibilityTimeoutSeconds: 60, redrive: { deadLetterQueue: deadLetters, maxReceiveCount: 2 } },
      location('q'),
    );
  });

  afterEach(async () => {
    await source?.close();
    queue.close();
    deadLetters.close();
    jest.useRealTimers();
  });

  const start = (answer: (event: SQSEvent) => SQSBatchResponse) => {
    source = startSqsEventSource({
      queue,
      handler: async (event) => {
        batches.push(event.Records.map((record) => record.body));
        return answer(event);
      },
      batchSize: 100,
      maxBatchingWindowMs: 1_000,
      region: 'us-east-1',
      onError: () => {},
    });
  };

  it('gathers what arrives within the batching window into one invocation', async () => {
    start(() => ({ batchItemFailures: [] }));
    queue.send('a');
    await jest.advanceTimersByTimeAsync(500);
    queue.send('b');
    await jest.advanceTimersByTimeAsync(600);
    expect(batches).toEqual([['a', 'b']]);
    expect(queue.depth()).toBe(0);
  });

  it('keeps what the function names as failed, delivers it again after the visibility timeout, then dead-letters it', async () => {
    start((event) => ({
      batchItemFailures: event.Records.filter((record) => record.body === 'bad').map((record) => ({
        itemIdentifier: record.messageId,
      })),
    }));
    queue.send('good');
    queue.send('bad');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(batches).toEqual([['good', 'bad']]);
    expect(queue.depth()).toBe(1);
    await jest.advanceTimersByTimeAsync(61_000);
    expect(batches).toEqual([['good', 'bad'], ['bad']]);
    await jest.advanceTimersByTimeAsync(61_000);
    expect(queue.depth()).toBe(0);
    expect(deadLetters.depth()).toBe(1);
  });

  it('delivers every message of a batch again when the function throws', async () => {
    let attempts = 0;
    start(() => {
      attempts += 1;
      if (attempts === 1) throw new Error('crashed');
      return { batchItemFailures: [] };
    });
    queue.send('m');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(queue.depth()).toBe(1);
    await jest.advanceTimersByTimeAsync(61_000);
    expect(batches).toEqual([['m'], ['m']]);
    expect(queue.depth()).toBe(0);
  });

  it('delivers a delayed message once its delay is over', async () => {
    start(() => ({ batchItemFailures: [] }));
    queue.send('follow-up', 6);
    await jest.advanceTimersByTimeAsync(6_500);
    expect(batches).toEqual([]);
    await jest.advanceTimersByTimeAsync(600);
    expect(batches).toEqual([['follow-up']]);
  });
});
