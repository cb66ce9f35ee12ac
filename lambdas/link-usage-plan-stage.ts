import {
  APIGatewayClient,
  GetUsagePlanCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { errorKind, logger } from './shared/logger';

/** UpdateUsagePlan: one call per 20 seconds per account ("Amazon API Gateway quotas"). */
const UPDATE_INTERVAL_MS = 21_000;

const client = new APIGatewayClient({ maxAttempts: 1 });

interface LinkProperties {
  UsagePlanIds: string[];
  /** `{restApiId}:{stageName}`, as usage plans name their stages. */
  Stage: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends the call again while the account's UpdateUsagePlan limit refuses it, as long as the function has time. */
async function throttled<T>(call: () => Promise<T>, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TooManyRequestsException) || context.getRemainingTimeInMillis() < UPDATE_INTERVAL_MS * 2)
        throw error;
      await sleep(UPDATE_INTERVAL_MS);
    }
  }
}

function getUsagePlan(usagePlanId: string, context: Context) {
  return throttled(() => client.send(new GetUsagePlanCommand({ usagePlanId })), context);
}

/** Adds the stage to a usage plan, or removes it; doing what is done already is a no-op. */
async function link(usagePlanId: string, stage: string, op: 'add' | 'remove', context: Context): Promise<void> {
  let plan: Awaited<ReturnType<typeof getUsagePlan>>;
  try {
    plan = await getUsagePlan(usagePlanId, context);
  } catch (error) {
    // A plan that is gone covers no stage: there is nothing to take off it.
    if (op === 'remove' && error instanceof NotFoundException) return;
    throw error;
  }
  const listed = (plan.apiStages ?? []).some(({ apiId, stage: name }) => `${apiId}:${name}` === stage);
  if (listed === (op === 'add')) return;
  await throttled(
    () => client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations: [{ op, path: '/apiStages', value: stage }] })),
    context,
  );
}

async function respond(event: CloudFormationCustomResourceEvent, status: 'SUCCESS' | 'FAILED', reason?: string): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason ?? 'See the function log',
    PhysicalResourceId: (event.ResourceProperties as unknown as LinkProperties).Stage,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const answer = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'Content-Type': '' } });
  if (!answer.ok) throw new Error(`CloudFormation refused the response: ${answer.status}`);
}

/**
 * The custom resource that puts a protected REST API stage of another stack
 * under the service's usage plans: on create and update it adds the stage to
 * each plan, on delete (and for the plans an update left) it takes it off.
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const wanted = event.ResourceProperties as unknown as LinkProperties;
  try {
    if (event.RequestType === 'Delete') {
      for (const id of wanted.UsagePlanIds) await link(id, wanted.Stage, 'remove', context);
    } else {
      for (const id of wanted.UsagePlanIds) await link(id, wanted.Stage, 'add', context);
      if (event.RequestType === 'Update') {
        const old = event.OldResourceProperties as unknown as LinkProperties;
        for (const id of old.UsagePlanIds) {
          if (old.Stage !== wanted.Stage || !wanted.UsagePlanIds.includes(id)) await link(id, old.Stage, 'remove', context);
        }
      }
    }
    await respond(event, 'SUCCESS');
  } catch (error) {
    logger.error('Linking the stage to the usage plans failed', { error: errorKind(error), stage: wanted.Stage });
    await respond(event, 'FAILED', `Linking ${wanted.Stage} to the usage plans failed: ${errorKind(error)}`);
  }
}
