/**
 * A deployed function's module, loaded afresh as a Lambda starts: with the
 * environment its template gives it, and every AWS SDK client it may build
 * mocked in that fresh module registry, the small AWS clients' calls too, so
 * that each call it makes is recorded.
 */
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { answerFlushCalls, type DocumentCommands, FakeTable } from '../fixtures/aws';
import { type SmallClientStub, stubSmallClients } from '../fixtures/small-aws-clients';
import type { RecordedCall } from './iam-requests';

export interface FunctionHarness {
  handler: (event: unknown, context?: unknown) => Promise<any>;
  /** The key table behind the mocked document client. */
  table: FakeTable;
  /** The environment the function started with. */
  environment: Record<string, string>;
  /** The mocked clients, from the function's own registry, to make a call fail. */
  mocks: {
    ddb: AwsClientStub<any>;
    apiGateway: AwsClientStub<any>;
    events: AwsClientStub<any>;
    /** Parameter Store through the SDK: the usage plans' registry of stages. */
    ssm: AwsClientStub<any>;
    /** The cache flush's and its schedules' calls (lambdas/shared/flush-apis.ts). */
    flush: SmallClientStub;
  };
  /** The function registry's own SDK modules, for their command and error classes. */
  sdk: {
    documents: typeof import('@aws-sdk/lib-dynamodb');
    apiGateway: typeof import('@aws-sdk/client-api-gateway');
  };
  /** Every call the function has made, in order. */
  calls(): RecordedCall[];
}

export interface LoadOptions {
  /** The key table's items. */
  seed?: object[];
  /** The tenant table's items. */
  tenantSeed?: object[];
  /** What GetParametersByPath answers: the stages the template registers. */
  parameters?: { Name: string; Value: string }[];
}

type EventBridgeEventsModule = typeof import('../../lambdas/shared/event-bridge-events');
type UsagePlansModule = typeof import('../../lambdas/shared/api-gateway-usage-plans');
/** The EventBridge and usage plan adapter modules of the function loaded last (see loadFunction). */
let latestEventBridgeEvents: EventBridgeEventsModule | undefined;
let latestUsagePlans: UsagePlansModule | undefined;

export function loadFunction(entry: string, environment: Record<string, string>, options: LoadOptions = {}): FunctionHarness {
  let harness!: FunctionHarness;
  const saved = { ...process.env };
  Object.assign(process.env, environment);
  try {
    jest.isolateModules(() => {
      const { mockClient } = require('aws-sdk-client-mock') as typeof import('aws-sdk-client-mock');
      const documents = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
      const apiGatewaySdk = require('@aws-sdk/client-api-gateway') as typeof import('@aws-sdk/client-api-gateway');
      const eventsSdk = require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
      const ssmSdk = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
      const { SmallAwsClient } = require('../../src/aws/small-aws-client') as typeof import('../../src/aws/small-aws-client');
      const ddb = mockClient(documents.DynamoDBDocumentClient);
      const apiGateway = mockClient(apiGatewaySdk.APIGatewayClient);
      const events = mockClient(eventsSdk.EventBridgeClient);
      const ssm = mockClient(ssmSdk.SSMClient);
      const flush = stubSmallClients(SmallAwsClient);
      events.onAnyCommand().resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
      apiGateway.onAnyCommand().resolves({});
      apiGateway.on(apiGatewaySdk.CreateApiKeyCommand).resolves({ id: 'apikey1', enabled: true });
      ssm.on(ssmSdk.GetParametersByPathCommand).resolves({ Parameters: options.parameters ?? [] });
      answerFlushCalls(flush, options.parameters ?? []);
      const table = new FakeTable(ddb as never, options.seed ?? [], documents as DocumentCommands, {
        tableName: environment.TABLE_NAME,
      });
      if (environment.TENANT_TABLE_NAME) {
        new FakeTable(ddb as never, options.tenantSeed ?? [], documents as DocumentCommands, {
          tableName: environment.TENANT_TABLE_NAME,
          keyAttributes: ['tenantId', 'sk'],
        });
      }
      // The functions that verify keys read through their small DynamoDB client, over HTTP. Here they read through the
      // key store's SDK client, which these stubs answer: the same two calls (GetItem, UpdateItem), so the same IAM actions.
      jest.doMock('../../lambdas/shared/key-reads', () => ({
        keyReadsFromEnvironment: () =>
          (
            require('../../lambdas/shared/key-store') as typeof import('../../lambdas/shared/key-store')
          ).keyStoreFromEnvironment(),
      }));
      // The functions that change keys load their EventBridge client only when a key has no room for a change's record,
      // and the tenant functions their usage plans' client only for a call to API Gateway, by a dynamic import made after
      // this sandbox has closed (Jest keeps the module it gave first): each is handed the module of the function loaded
      // last, this sandbox's, whose client these stubs answer.
      latestEventBridgeEvents = jest.requireActual<EventBridgeEventsModule>('../../lambdas/shared/event-bridge-events');
      jest.doMock('../../lambdas/shared/event-bridge-events', () => ({
        eventBridgeEvents: (...args: Parameters<EventBridgeEventsModule['eventBridgeEvents']>) =>
          (latestEventBridgeEvents as EventBridgeEventsModule).eventBridgeEvents(...args),
      }));
      latestUsagePlans = jest.requireActual<UsagePlansModule>('../../lambdas/shared/api-gateway-usage-plans');
      jest.doMock('../../lambdas/shared/api-gateway-usage-plans', () => ({
        apiGatewayUsagePlans: (...args: Parameters<UsagePlansModule['apiGatewayUsagePlans']>) =>
          (latestUsagePlans as UsagePlansModule).apiGatewayUsagePlans(...args),
      }));
      const { handler } = require(`../../lambdas/${entry}`) as { handler: FunctionHarness['handler'] };
      const stubs: AwsClientStub<any>[] = [ddb, apiGateway, events, ssm];
      harness = {
        handler,
        table,
        environment,
        mocks: { ddb, apiGateway, events, ssm, flush },
        sdk: { documents, apiGateway: apiGatewaySdk },
        calls: () => [
          ...stubs
            .flatMap((stub) => stub.calls())
            .sort((a, b) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
            .map((call) => {
              const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
              return { command: command.constructor.name, input: command.input };
            }),
          // Named as the SDK's commands are, which iam-requests.ts maps to IAM requests.
          ...flush.calls().map(({ operation, input }) => ({ command: `${operation}Command`, input })),
        ],
      };
    });
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
  return harness;
}
