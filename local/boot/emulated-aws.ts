import { FLUSH_QUEUE } from '../../src/flush-queue';
import type { HttpResponse } from '../apigateway/responses';
import type { Stage } from '../apigateway/stage';
import type { UsagePlans } from '../apigateway/usage-plans';
import { createApiGatewayManagement, type FlushableStage, isApiGatewayManagementRequest } from '../aws/apigateway-management';
import { createEventBridge, isEventBridgeRequest } from '../aws/eventbridge';
import { createScheduler, isSchedulerRequest } from '../aws/scheduler';
import type { Credentials } from '../aws/sigv4';
import { createLocalQueue, createSqs, isSqsRequest } from '../aws/sqs';
import { createParameterStore, isParameterStoreRequest } from '../aws/ssm';
import type { GatewayRequest } from '../http/http-request';
import { startSqsEventSource } from '../lambda/sqs-event-source';
import type { SqsHandler } from './handler-modules';
import {
  EXPIRY_WARNING_QUEUE_NAME,
  FLUSH_DEAD_LETTER_QUEUE_NAME,
  FLUSH_QUEUE_NAME,
  FLUSH_SCHEDULE_GROUP,
  FLUSH_TARGETS_PATH,
  localQueueLocation,
  PLAN_STAGES_PATH,
} from './lambda-environment';

export interface EmulatedAwsOptions {
  stage: Stage;
  /** This server's URL: queue URLs name it. */
  server: string;
  /** Every local stage behind an authorizer, registered for cache flushes as the stack registers them. */
  stages: readonly FlushableStage[];
  /** The usage plans of those stages, which the tenant functions manage. */
  usagePlans: UsagePlans;
  flusher: SqsHandler;
  /** The consumer of the expiry warnings' queue. */
  expiryWarner: SqsHandler;
  sdkCredentials: () => Promise<Credentials>;
  /** Where the events the functions publish are appended, one JSON line each. */
  eventsFile: string;
}

export interface EmulatedAws {
  /** The answer to a call for one of the emulated AWS APIs, or undefined when the request is for the gateway. */
  dispatch(request: GatewayRequest): Promise<HttpResponse> | undefined;
  close(): Promise<void>;
}

/**
 * The AWS APIs the functions call, other than DynamoDB: API Gateway's cache
 * flush, API keys and usage plans, Parameter Store's registry of stages, SQS's flush queue and expiry
 * warnings' queue with Lambda's event sources feeding them to the flusher and the warner, EventBridge
 * Scheduler, and EventBridge, whose events go to a JSON-lines file.
 */
export function startEmulatedAws(options: EmulatedAwsOptions): EmulatedAws {
  const { stage, server, sdkCredentials } = options;
  const deadLetterQueue = createLocalQueue(
    { name: FLUSH_DEAD_LETTER_QUEUE_NAME, visibilityTimeoutSeconds: 30 },
    localQueueLocation(stage, server, FLUSH_DEAD_LETTER_QUEUE_NAME),
  );
  const flushQueue = createLocalQueue(
    {
      name: FLUSH_QUEUE_NAME,
      visibilityTimeoutSeconds: FLUSH_QUEUE.visibilityTimeoutSeconds,
      redrive: { deadLetterQueue, maxReceiveCount: FLUSH_QUEUE.maxReceiveCount },
    },
    localQueueLocation(stage, server, FLUSH_QUEUE_NAME),
  );
  // As the construct makes it: warnings that fail every delivery join the flushes that did, in their dead-letter queue.
  const expiryWarningQueue = createLocalQueue(
    {
      name: EXPIRY_WARNING_QUEUE_NAME,
      visibilityTimeoutSeconds: 60,
      redrive: { deadLetterQueue, maxReceiveCount: FLUSH_QUEUE.maxReceiveCount },
    },
    localQueueLocation(stage, server, EXPIRY_WARNING_QUEUE_NAME),
  );
  const queues = [flushQueue, expiryWarningQueue, deadLetterQueue];
  // Each local stage is a REST API stage behind the authorizer: registered for flushes and for the usage plans.
  const registry = Object.fromEntries(
    options.stages.flatMap(({ restApiId, stageName }) => [
      [`${FLUSH_TARGETS_PATH}/${restApiId}-${stageName}`, JSON.stringify({ kind: 'rest', apiId: restApiId, stageName })],
      [`${PLAN_STAGES_PATH}/${restApiId}-${stageName}`, JSON.stringify({ restApiId, stageName })],
    ]),
  );
  const apiGatewayManagement = createApiGatewayManagement({
    region: stage.region,
    stages: options.stages,
    usagePlans: options.usagePlans,
    sdkCredentials,
  });
  const parameterStore = createParameterStore({
    region: stage.region,
    accountId: stage.accountId,
    parameters: registry,
    sdkCredentials,
  });
  const sqs = createSqs({ region: stage.region, queues, sdkCredentials });
  const scheduler = createScheduler({ stage, groupName: FLUSH_SCHEDULE_GROUP, sdkCredentials, queues });
  const eventBridge = createEventBridge({ stage, eventsFile: options.eventsFile, sdkCredentials });
  const eventSource = startSqsEventSource({
    queue: flushQueue,
    handler: options.flusher,
    batchSize: FLUSH_QUEUE.batchSize,
    maxBatchingWindowMs: FLUSH_QUEUE.maxBatchingWindowSeconds * 1000,
    region: stage.region,
    onError: (error) => console.error('The flusher failed; its messages will be delivered again:', error),
  });
  const warningSource = startSqsEventSource({
    queue: expiryWarningQueue,
    handler: options.expiryWarner,
    batchSize: 10,
    maxBatchingWindowMs: 0,
    region: stage.region,
    onError: (error) => console.error('The expiry warner failed; its messages will be delivered again:', error),
  });

  return {
    dispatch(request) {
      if (isApiGatewayManagementRequest(request)) return apiGatewayManagement(request);
      if (isSchedulerRequest(request)) return scheduler.handle(request);
      if (isSqsRequest(request)) return sqs(request);
      if (isEventBridgeRequest(request)) return eventBridge(request);
      if (isParameterStoreRequest(request)) return parameterStore(request);
      return undefined;
    },
    async close() {
      scheduler.close();
      await eventSource.close();
      await warningSource.close();
      for (const queue of queues) queue.close();
    },
  };
}
