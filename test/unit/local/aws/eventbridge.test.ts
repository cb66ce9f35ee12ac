import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DescribeEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { localStage } from '../../../../local/apigateway/stage';
import { createEventBridge } from '../../../../local/aws/eventbridge';
import { createRequestListener } from '../../../../local/http/http-listener';
import { makeTempDir } from '../../../support/temp-dir';

const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };

let server: Server;
let client: EventBridgeClient;
let endpoint: string;
let directory: Awaited<ReturnType<typeof makeTempDir>>;
let eventsFile: string;

beforeAll(async () => {
  directory = await makeTempDir('local-eventbridge');
  // In a directory not made yet: the first event makes it.
  eventsFile = join(directory.path, 'data', 'events.jsonl');
  const eventBridge = createEventBridge({
    stage: localStage('eu-west-1'),
    eventsFile,
    sdkCredentials: async () => SDK_CREDENTIALS,
  });
  server = createServer(createRequestListener(eventBridge, { maxBodyBytes: 1024 * 1024, stopping: () => false }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new EventBridgeClient({ endpoint, region: 'eu-west-1', credentials: SDK_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await directory.remove();
});

const lines = async () =>
  (await readFile(eventsFile, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

it('appends each event, in the envelope a rule target gets, one JSON line each', async () => {
  const result = await client.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'api-key-service',
          DetailType: 'key.created',
          Detail: JSON.stringify({ id: 'aud_1' }),
          EventBusName: 'default',
        },
        {
          Source: 'api-key-service',
          DetailType: 'key.deleted',
          Detail: JSON.stringify({ id: 'aud_2' }),
          Time: new Date('2030-01-01T00:00:00Z'),
        },
      ],
    }),
  );
  expect(result.FailedEntryCount).toBe(0);
  expect(result.Entries?.map((entry) => entry.EventId)).toEqual([expect.any(String), expect.any(String)]);
  expect(await lines()).toEqual([
    {
      version: '0',
      id: result.Entries?.[0].EventId,
      'detail-type': 'key.created',
      source: 'api-key-service',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'eu-west-1',
      resources: [],
      detail: { id: 'aud_1' },
    },
    expect.objectContaining({ 'detail-type': 'key.deleted', time: '2030-01-01T00:00:00Z', detail: { id: 'aud_2' } }),
  ]);
});

it('fails an entry without a JSON detail, or for a bus it does not have, and counts it', async () => {
  const result = await client.send(
    new PutEventsCommand({
      Entries: [
        { Source: 's', DetailType: 'd', Detail: 'not json' },
        { Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'elsewhere' },
        { Source: 's', DetailType: 'kept', Detail: '{}' },
      ],
    }),
  );
  expect(result.FailedEntryCount).toBe(2);
  expect(result.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual(['MalformedDetail', 'MalformedDetail', 'ok']);
  expect((await lines()).map((event) => event['detail-type'])).toEqual(['key.created', 'key.deleted', 'kept']);
});

it('takes only the SDK credentials of this process, and only PutEvents', async () => {
  const stranger = new EventBridgeClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'guessed' },
    maxAttempts: 1,
  });
  await expect(
    stranger.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })),
  ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  stranger.destroy();
  await expect(client.send(new DescribeEventBusCommand({}))).rejects.toMatchObject({ name: 'ValidationException' });
  expect(await lines()).toHaveLength(3);
});
