import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A function fed by a queue: Lambda's event source mapping, which hands back only
 * the messages the function reports failed, and what Lambda's poller does with
 * the function's role ("Using Lambda with Amazon SQS": execution role permissions).
 */
export function consumeQueue(
  scope: Construct,
  id: string,
  fn: LambdaFunction,
  queue: IQueue,
  options: { batchSize: number; maxBatchingWindow?: Duration; maxConcurrency?: number },
): void {
  new EventSourceMapping(scope, id, {
    target: fn,
    eventSourceArn: queue.queueArn,
    ...options,
    reportBatchItemFailures: true,
  });
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resources: [queue.queueArn],
    }),
  );
}
