import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createLocalQueue, createSqs, type LocalQueue } from '../../../../local/aws/sqs';
import { createRequestListener } from '../../../../local/http/http-listener';

const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };
const location = (name: string) => ({
  url: `http://127.0.0.1:1/000000000000/${name}`,
  arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
});

describe('a local queue', () => {
  let now = 0;
  let deadLetters: LocalQueue;
  let queue: LocalQueue;
  beforeEach(() => {
    now = 1_000_000;
    deadLetters = createLocalQueue({ name: 'dlq', visibilityTimeoutSeconds: 30 }, location('dlq'), () => now);
    queue = createLocalQueue(
      { name: 'q', visibilityTimeoutSeconds: 60, redrive: { deadLetterQueue: deadLetters, maxReceiveCount: 2 } },
      location('q'),
      () => now,
    );
  });
  afterEach(() => {
    queue.close();
    deadLetters.close();
  });

  it('holds a delayed message back until its delay has passed', () => {
    queue.send('later', 6);
    expect(queue.receive(10)).toEqual([]);
    now += 6_000;
    expect(queue.receive(10).map((message) => message.body)).toEqual(['later']);
  });

  it('tells its consumer of a delayed message once the clock reads its time, even when the timer fires a little early', () => {
    jest.useFakeTimers();
    try {
      const seen: boolean[] = [];
      queue.onVisible(() => seen.push(queue.hasVisible()));
      queue.send('later', 6);
      // Node's timers can fire a millisecond before Date.now() reaches their time.
      now += 5_999;
      jest.advanceTimersByTime(6_000);
      now += 1;
      jest.advanceTimersByTime(1);
      expect(seen).toContain(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('hides a received message for the visibility timeout, then delivers it again, counting receives', () => {
    queue.send('m');
    const [first] = queue.receive(10);
    expect(first.receiveCount).toBe(1);
    now += 59_000;
    expect(queue.receive(10)).toEqual([]);
    now += 1_000;
    const [again] = queue.receive(10);
    expect([again.messageId, again.receiveCount]).toEqual([first.messageId, 2]);
    queue.delete(again.receiptHandle);
    expect(queue.depth()).toBe(0);
  });

  it('moves a message received maxReceiveCount times without being deleted to the dead-letter queue', () => {
    queue.send('poison');
    queue.receive(10);
    now += 60_000;
    queue.receive(10);
    now += 60_000;
    expect(queue.receive(10)).toEqual([]);
    expect(queue.depth()).toBe(0);
    expect(deadLetters.receive(10).map((message) => message.body)).toEqual(['poison']);
  });

  it('gives at most the batch asked for', () => {
    for (let index = 0; index < 5; index++) queue.send(`m${index}`);
    expect(queue.receive(3)).toHaveLength(3);
    expect(queue.receive(3)).toHaveLength(2);
  });
});

describe('local SQS through the AWS SDK', () => {
  let server: Server;
  let client: SQSClient;
  let queue: LocalQueue;

  beforeAll(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    queue = createLocalQueue(
      { name: 'flush', visibilityTimeoutSeconds: 60 },
      { url: `${endpoint}/000000000000/flush`, arn: 'arn:aws:sqs:us-east-1:000000000000:flush' },
    );
    const sqs = createSqs({ region: 'us-east-1', queues: [queue], sdkCredentials: async () => SDK_CREDENTIALS });
    server.on('request', createRequestListener(sqs, { maxBodyBytes: 1024 * 1024, stopping: () => false }));
    client = new SQSClient({ endpoint, region: 'us-east-1', credentials: SDK_CREDENTIALS, maxAttempts: 1 });
  });

  afterAll(async () => {
    client.destroy();
    queue.close();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  it('takes SendMessage as the SDK sends it, with an MD5 of the body the SDK checks', async () => {
    const output = await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"a":1}', DelaySeconds: 6 }));
    expect(output.MessageId).toEqual(expect.any(String));
    expect(queue.depth()).toBe(1);
  });

  it('refuses an unknown queue, a delay past 15 minutes and other credentials, as SQS does', async () => {
    await expect(client.send(new SendMessageCommand({ QueueUrl: `${queue.url}-other`, MessageBody: 'x' }))).rejects.toMatchObject(
      { name: 'QueueDoesNotExist' },
    );
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x', DelaySeconds: 901 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const stranger = new SQSClient({
      endpoint: new URL(queue.url).origin,
      region: 'us-east-1',
      credentials: { accessKeyId: 'SOMEONE', secretAccessKey: 'guess' },
      maxAttempts: 1,
    });
    await expect(stranger.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x' }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    stranger.destroy();
  });
});
