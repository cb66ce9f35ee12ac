import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createParameterStore } from '../../../../local/aws/ssm';
import { createRequestListener } from '../../../../local/http/http-listener';

const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };
const PARAMETERS = Object.fromEntries([
  ...Array.from({ length: 12 }, (_, index) => [`/registry/stage-${String(index).padStart(2, '0')}`, `value-${index}`]),
  ['/registry/nested/deeper', 'deep'],
  ['/elsewhere/one', 'not listed'],
]);

let server: Server;
let client: SSMClient;
let endpoint: string;

beforeAll(async () => {
  const store = createParameterStore({
    region: 'us-east-1',
    accountId: '000000000000',
    parameters: PARAMETERS,
    sdkCredentials: async () => SDK_CREDENTIALS,
  });
  server = createServer(createRequestListener(store, { maxBodyBytes: 1024 * 1024, stopping: () => false }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new SSMClient({ endpoint, region: 'us-east-1', credentials: SDK_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

it('answers GetParametersByPath in pages of ten, recursively when asked, as the SDK reads it', async () => {
  const first = await client.send(new GetParametersByPathCommand({ Path: '/registry', Recursive: true }));
  expect(first.Parameters).toHaveLength(10);
  const second = await client.send(
    new GetParametersByPathCommand({ Path: '/registry', Recursive: true, NextToken: first.NextToken }),
  );
  expect(second.NextToken).toBeUndefined();
  const names = [...(first.Parameters ?? []), ...(second.Parameters ?? [])].map((parameter) => parameter.Name);
  expect(names).toHaveLength(13);
  expect(names).toContain('/registry/nested/deeper');
  expect(names).not.toContain('/elsewhere/one');
  expect(second.Parameters?.[0]).toMatchObject({ Type: 'String', Value: expect.any(String) });
});

it('leaves out deeper levels unless Recursive', async () => {
  const shallow = await client.send(new GetParametersByPathCommand({ Path: '/registry/nested' }));
  expect(shallow.Parameters?.map((parameter) => parameter.Name)).toEqual(['/registry/nested/deeper']);
  const top = await client.send(new GetParametersByPathCommand({ Path: '/registry', MaxResults: 10 }));
  expect(top.Parameters?.map((parameter) => parameter.Name)).not.toContain('/registry/nested/deeper');
});

it('refuses other credentials, as AWS does', async () => {
  const stranger = new SSMClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'SOMEONE', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  await expect(stranger.send(new GetParametersByPathCommand({ Path: '/registry' }))).rejects.toMatchObject({
    name: 'UnrecognizedClientException',
  });
  stranger.destroy();
});
