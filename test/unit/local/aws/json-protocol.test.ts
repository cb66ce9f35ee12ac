import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsJsonError, type AwsJsonService, createAwsJsonEndpoint } from '../../../../local/aws/json-protocol';
import type { GatewayRequest } from '../../../../local/http/http-request';

const SDK_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'sdk-secret' };

const SERVICE: AwsJsonService = {
  name: 'Example',
  targetPrefix: 'Example_2030.',
  protocol: 'awsJson1_0',
  signingName: 'example',
  region: 'us-east-1',
  sdkCredentials: async () => SDK_CREDENTIALS,
  errors: { unknownOperation: 'InvalidAction', malformedInput: 'SerializationException' },
  errorHeaders: (type) => ({ 'x-amzn-query-error': `${type};Sender` }),
  operations: {
    Echo: (input) => ({ echoed: input }),
    Refuse: () => {
      throw new AwsJsonError(404, 'NothingThere', 'There is nothing there.');
    },
    Crash: () => {
      throw new Error('a bug');
    },
  },
};
const endpoint = createAwsJsonEndpoint(SERVICE);

/** A request signed as the SDK signs one, for `target`, with `body` as it is. */
async function call(target: string, body: string, credentials = SDK_CREDENTIALS) {
  const unsigned = new HttpRequest({
    method: 'POST',
    path: '/',
    headers: { host: '127.0.0.1:3000', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
    body,
  });
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'example', sha256: Sha256 });
  const signed = await signer.sign(unsigned, { signingDate: new Date() });
  const headerPairs = Object.entries(signed.headers);
  const request: GatewayRequest = {
    method: 'POST',
    rawPath: '/',
    rawQuery: '',
    headerPairs,
    headers: Object.fromEntries(headerPairs.map(([name, value]) => [name.toLowerCase(), [value]])),
    body: Buffer.from(body),
    bodyTooLarge: false,
    sourceIp: '127.0.0.1',
    receivedAt: new Date(),
  };
  const response = await endpoint(request);
  return { ...response, json: JSON.parse(String(response.body)) };
}

it("answers an operation's output in the protocol's content type", async () => {
  const response = await call('Example_2030.Echo', '{"a":1}');
  expect(response).toMatchObject({ statusCode: 200, json: { echoed: { a: 1 } } });
  expect(response.headers).toMatchObject({ 'Content-Type': 'application/x-amz-json-1.0' });
});

it.each([
  [
    'an operation it does not serve',
    'Example_2030.Other',
    '{}',
    'InvalidAction',
    'Local mode serves only Echo, Refuse, Crash, not Other.',
  ],
  ['a body that is not JSON', 'Example_2030.Echo', 'not json', 'SerializationException', 'The request body is not valid JSON.'],
  [
    'a body that is not an object',
    'Example_2030.Echo',
    '[1]',
    'SerializationException',
    'The request body must be a JSON object.',
  ],
])('refuses %s as the service does, its type in the header and the body', async (_, target, body, type, message) => {
  const response = await call(target, body);
  expect(response).toMatchObject({ statusCode: 400, json: { __type: type, message } });
  expect(response.headers).toMatchObject({ 'x-amzn-ErrorType': type, 'x-amzn-query-error': `${type};Sender` });
});

it("answers an operation's own refusal; anything else it throws is not an answer", async () => {
  expect(await call('Example_2030.Refuse', '{}')).toMatchObject({
    statusCode: 404,
    json: { __type: 'NothingThere', message: 'There is nothing there.' },
  });
  await expect(call('Example_2030.Crash', '{}')).rejects.toThrow('a bug');
});

it('takes only the SDK credentials of this process', async () => {
  const response = await call('Example_2030.Echo', '{}', { accessKeyId: 'SOMEONE', secretAccessKey: 'x' });
  expect(response).toMatchObject({ statusCode: 403, json: { __type: 'UnrecognizedClientException' } });
});
