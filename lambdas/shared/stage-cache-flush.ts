import { ENV, requiredEnv } from '../../src/config';
import type { CacheFlushPorts, FlushFailure, FlushTarget } from '../../src/domain/cache-flush';
import {
  FLUSH_STAGE_AUTHORIZERS_CACHE,
  flushClients,
  GET_PARAMETERS_BY_PATH,
  RESET_AUTHORIZERS_CACHE,
  SEND_MESSAGE,
} from './flush-apis';
import { errorKind } from './logger';
import { type Parameter, parametersUnder } from './parameters';

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
 * FLUSH_QUEUE_URL (flush-apis.ts). Settings are read when the function starts. With
 * `reuseTargetsMs`, the list of stages is read once per environment: once it is
 * older than that, a flush uses it still, and has it read again for the next
 * (so no answer waits on it again). Without (the flusher, whose follow-ups catch
 * what a reused list missed), every flush reads it.
 */
export function stageCacheFlushPorts(
  env: NodeJS.ProcessEnv = process.env,
  { reuseTargetsMs = 0 }: { reuseTargetsMs?: number } = {},
): CacheFlushPorts {
  const path = requiredEnv(ENV.flushTargetsPath, env);
  const queueUrl = requiredEnv(ENV.flushQueueUrl, env);
  const { ssm, restApis, httpApis, sqs } = flushClients(env);
  let reused: { targets: FlushTarget[]; until: number } | undefined;
  let reading: Promise<FlushTarget[]> | undefined;
  const read = () =>
    (reading ??= (async () => {
      try {
        const parameters = await parametersUnder((NextToken) =>
          ssm.send(GET_PARAMETERS_BY_PATH, { Path: path, Recursive: true, NextToken }),
        );
        const targets = parameters.map(targetOf);
        reused = { targets, until: Date.now() + reuseTargetsMs };
        return targets;
      } finally {
        reading = undefined;
      }
    })());

  return {
    async targets() {
      if (reuseTargetsMs === 0 || !reused) return read();
      // Read again for the next flush; a failure leaves the list as it is, for the next try.
      if (reused.until <= Date.now()) read().catch(() => undefined);
      return reused.targets;
    },

    async flush(target) {
      if (target.kind === 'rest') {
        await restApis.send(FLUSH_STAGE_AUTHORIZERS_CACHE, { restApiId: target.apiId, stageName: target.stageName });
      } else {
        await httpApis.send(RESET_AUTHORIZERS_CACHE, { ApiId: target.apiId, StageName: target.stageName });
      }
    },

    async enqueue(flush, delaySeconds) {
      await sqs.send(SEND_MESSAGE, { QueueUrl: queueUrl, MessageBody: JSON.stringify(flush), DelaySeconds: delaySeconds });
    },
  };
}

/** How a failure is logged: which stage, and the kind of error, never its message. */
export function describeFailure({ target, error }: FlushFailure): Record<string, string> {
  const where = typeof target === 'string' ? target : `${target.kind} ${target.apiId}/${target.stageName}`;
  return { target: where, error: errorKind(error) };
}
