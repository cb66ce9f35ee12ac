import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, ResetAuthorizersCacheCommand } from '@aws-sdk/client-apigatewayv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Parameter, SSMClient } from '@aws-sdk/client-ssm';
import { ENV, requiredEnv } from '../../src/config';
import type { CacheFlushPorts, FlushFailure, FlushTarget } from '../../src/domain/cache-flush';
import { errorKind } from './logger';
import { parametersUnder } from './parameters';

/** Bounded like the DynamoDB calls, so a stuck call cannot run a handler into its timeout. */
export const CALL_LIMITS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
};
/**
 * How long the list of stages is reused. A stage registered by a deployment just
 * now has nothing cached from before it, so a short delay in flushing it is harmless.
 */
const TARGETS_REUSE_MS = 10_000;

/** Each registered stage is one parameter under the registry path, its value a FlushTarget as JSON. */
function targetOf(parameter: Parameter): FlushTarget {
  const value = JSON.parse(parameter.Value ?? '') as Partial<FlushTarget>;
  const { kind, apiId, stageName } = value;
  if ((kind !== 'rest' && kind !== 'http') || !apiId || !stageName) {
    throw new Error(`Flush target ${parameter.Name} is not a valid registration`);
  }
  return { kind, apiId, stageName };
}

/**
 * The ports of the cache flush in AWS: the stages registered in Parameter Store
 * under FLUSH_TARGETS_PATH (one parameter per protected stage, written by the
 * stack that protects it), API Gateway's flush calls, and the flush queue at
 * FLUSH_QUEUE_URL. Settings are read when the function starts.
 */
export function stageCacheFlushPorts(env: NodeJS.ProcessEnv = process.env): CacheFlushPorts {
  const path = requiredEnv(ENV.flushTargetsPath, env);
  const queueUrl = requiredEnv(ENV.flushQueueUrl, env);
  const ssm = new SSMClient(CALL_LIMITS);
  const restApis = new APIGatewayClient(CALL_LIMITS);
  const httpApis = new ApiGatewayV2Client(CALL_LIMITS);
  const sqs = new SQSClient(CALL_LIMITS);
  let reused: { targets: FlushTarget[]; until: number } | undefined;

  return {
    async targets() {
      if (reused && reused.until > Date.now()) return reused.targets;
      const targets = (await parametersUnder(ssm, path)).map(targetOf);
      reused = { targets, until: Date.now() + TARGETS_REUSE_MS };
      return targets;
    },

    async flush(target) {
      if (target.kind === 'rest') {
        await restApis.send(new FlushStageAuthorizersCacheCommand({ restApiId: target.apiId, stageName: target.stageName }));
      } else {
        await httpApis.send(new ResetAuthorizersCacheCommand({ ApiId: target.apiId, StageName: target.stageName }));
      }
    },

    async enqueue(flush, delaySeconds) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(flush), DelaySeconds: delaySeconds }),
      );
    },
  };
}

/** How a failure is logged: which stage, and the kind of error, never its message. */
export function describeFailure({ target, error }: FlushFailure): Record<string, string> {
  const where = typeof target === 'string' ? target : `${target.kind} ${target.apiId}/${target.stageName}`;
  return { target: where, error: errorKind(error) };
}
