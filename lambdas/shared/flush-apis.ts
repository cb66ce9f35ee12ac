import { randomUUID } from 'node:crypto';
import {
  type AwsService,
  type CallLimits,
  clientSettingsFromEnvironment,
  jsonOperation,
  pathSegment,
  restJsonOperation,
  SmallAwsClient,
} from '../../src/aws/small-aws-client';
import type { ParameterPage } from './parameters';

/**
 * The AWS calls of the authorizer cache flush and its schedules, over the small
 * AWS client: Parameter Store's GetParametersByPath, API Gateway's
 * FlushStageAuthorizersCache (REST APIs) and ResetAuthorizersCache (HTTP APIs),
 * SQS's SendMessage and EventBridge Scheduler's CreateSchedule and
 * UpdateSchedule, each on the wire as the AWS SDK sends it. Not the SDK's
 * clients: in the functions that change keys, their code and their first calls
 * cost three times what the rest of a revocation's first request does
 * (docs/performance.md). Each service's endpoint is the one the SDK would take
 * from the environment (AWS_ENDPOINT_URL_SSM, …), else its regional one.
 */

const SSM: AwsService = { signingName: 'ssm', endpointId: 'SSM', hostPrefix: 'ssm' };
const API_GATEWAY: AwsService = { signingName: 'apigateway', endpointId: 'API_GATEWAY', hostPrefix: 'apigateway' };
const API_GATEWAY_V2: AwsService = { signingName: 'apigateway', endpointId: 'APIGATEWAYV2', hostPrefix: 'apigateway' };
const SQS: AwsService = { signingName: 'sqs', endpointId: 'SQS', hostPrefix: 'sqs' };
const SCHEDULER: AwsService = { signingName: 'scheduler', endpointId: 'SCHEDULER', hostPrefix: 'scheduler' };

/** Two attempts of at most 1.5 s each: a stuck call cannot run a handler into its timeout, and the change is written already. */
const FLUSH_CALL_LIMITS: CallLimits = { maxAttempts: 2, attemptTimeoutMs: 1_500 };

export const GET_PARAMETERS_BY_PATH = jsonOperation<{ Path: string; Recursive: boolean; NextToken?: string }, ParameterPage>(
  'AmazonSSM.GetParametersByPath',
  '1.1',
);

export const FLUSH_STAGE_AUTHORIZERS_CACHE = restJsonOperation<{ restApiId: string; stageName: string }, object>(
  'FlushStageAuthorizersCache',
  'DELETE',
  ({ restApiId, stageName }) => ({
    path: `/restapis/${pathSegment(restApiId)}/stages/${pathSegment(stageName)}/cache/authorizers`,
  }),
);

export const RESET_AUTHORIZERS_CACHE = restJsonOperation<{ ApiId: string; StageName: string }, object>(
  'ResetAuthorizersCache',
  'DELETE',
  ({ ApiId, StageName }) => ({ path: `/v2/apis/${pathSegment(ApiId)}/stages/${pathSegment(StageName)}/cache/authorizers` }),
);

/** The queue is named by its URL in the input; the call goes to SQS's endpoint, which is that URL's host in AWS. */
export const SEND_MESSAGE = jsonOperation<
  { QueueUrl: string; MessageBody: string; DelaySeconds?: number },
  { MessageId?: string }
>('AmazonSQS.SendMessage', '1.0');

/** A one-time schedule, as CreateSchedule and UpdateSchedule take it (the members the cache flush sets). */
export interface ScheduleInput {
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  FlexibleTimeWindow: { Mode: 'OFF' };
  ActionAfterCompletion: 'DELETE';
  Target: {
    Arn: string;
    RoleArn: string;
    Input: string;
    RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
    DeadLetterConfig: { Arn: string };
  };
}

/** The name in the path, the rest in the body with an idempotency token, which the SDK fills in the same way: the same for each retry. */
const scheduleRequest = ({ Name, ...rest }: ScheduleInput) => ({
  path: `/schedules/${pathSegment(Name)}`,
  body: { ...rest, ClientToken: randomUUID() },
});

export const CREATE_SCHEDULE = restJsonOperation<ScheduleInput, { ScheduleArn?: string }>(
  'CreateSchedule',
  'POST',
  scheduleRequest,
);
export const UPDATE_SCHEDULE = restJsonOperation<ScheduleInput, { ScheduleArn?: string }>(
  'UpdateSchedule',
  'PUT',
  scheduleRequest,
);

const clientOf = (service: AwsService, env: NodeJS.ProcessEnv) =>
  new SmallAwsClient(service.signingName, clientSettingsFromEnvironment(service, env), FLUSH_CALL_LIMITS);

/** The clients of the cache flush, their settings read from `env`. */
export function flushClients(env: NodeJS.ProcessEnv) {
  return {
    ssm: clientOf(SSM, env),
    restApis: clientOf(API_GATEWAY, env),
    httpApis: clientOf(API_GATEWAY_V2, env),
    sqs: clientOf(SQS, env),
  };
}

/** The client of the flush schedules, its settings read from `env`. */
export function schedulerClient(env: NodeJS.ProcessEnv): SmallAwsClient {
  return clientOf(SCHEDULER, env);
}
