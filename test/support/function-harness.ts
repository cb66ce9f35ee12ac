/**
 * A deployed function's module, loaded afresh as a Lambda starts: with the
 * environment its template gives it, and every AWS SDK client it may build
 * mocked in that fresh module registry, so that each call it makes is recorded.
 */
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { type DocumentCommands, FakeTable } from '../fixtures/aws';
import type { RecordedCall } from './iam-requests';

export interface FunctionHarness {
  handler: (event: unknown, context?: unknown) => Promise<any>;
  /** The key table behind the mocked document client. */
  table: FakeTable;
  /** The mocked clients, from the function's own registry, to make a call fail. */
  mocks: {
    ddb: AwsClientStub<any>;
    apiGateway: AwsClientStub<any>;
    scheduler: AwsClientStub<any>;
  };
  /** The function registry's own SDK modules, for their command and error classes. */
  sdk: {
    documents: typeof import('@aws-sdk/lib-dynamodb');
    scheduler: typeof import('@aws-sdk/client-scheduler');
  };
  /** Every call the function has made, in order. */
  calls(): RecordedCall[];
}

export function loadFunction(entry: string, environment: Record<string, string>, seed: object[] = []): FunctionHarness {
  let harness!: FunctionHarness;
  const saved = { ...process.env };
  Object.assign(process.env, environment);
  try {
    jest.isolateModules(() => {
      const { mockClient } = require('aws-sdk-client-mock') as typeof import('aws-sdk-client-mock');
      const documents = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
      const apiGatewaySdk = require('@aws-sdk/client-api-gateway') as typeof import('@aws-sdk/client-api-gateway');
      const schedulerSdk = require('@aws-sdk/client-scheduler') as typeof import('@aws-sdk/client-scheduler');
      const ddb = mockClient(documents.DynamoDBDocumentClient);
      const apiGateway = mockClient(apiGatewaySdk.APIGatewayClient);
      const scheduler = mockClient(schedulerSdk.SchedulerClient);
      apiGateway.onAnyCommand().resolves({});
      scheduler.onAnyCommand().resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/g/n' });
      const table = new FakeTable(ddb as never, seed, documents as DocumentCommands, { tableName: environment.TABLE_NAME });
      if (environment.TENANT_TABLE_NAME) {
        new FakeTable(ddb as never, [], documents as DocumentCommands, {
          tableName: environment.TENANT_TABLE_NAME,
          keyAttributes: ['tenantId', 'sk'],
        });
      }
      const { handler } = require(`../../lambdas/${entry}`) as { handler: FunctionHarness['handler'] };
      const stubs: AwsClientStub<any>[] = [ddb, apiGateway, scheduler];
      harness = {
        handler,
        table,
        mocks: { ddb, apiGateway, scheduler },
        sdk: { documents, scheduler: schedulerSdk },
        calls: () =>
          stubs
            .flatMap((stub) => stub.calls())
            .sort((a, b) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
            .map((call) => {
              const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
              return { command: command.constructor.name, input: command.input };
            }),
      };
    });
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
  return harness;
}
