import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { ENV, requiredEnv } from '../src/config';
import type { PlanStage } from '../src/domain/plan-stages';
import { respond } from './shared/custom-resource';
import { errorKind, logger } from './shared/logger';
import { registeredPlanStages, UsagePlanStages } from './shared/usage-plan-stages';

/** Enough to answer CloudFormation after the last call. */
const ANSWER_RESERVE_MS = 10_000;

const client = new APIGatewayClient({ maxAttempts: 1 });
const ssm = new SSMClient({});
const registryPath = requiredEnv(ENV.planStagesPath);

interface LinkProperties {
  UsagePlanIds: string[];
  /** `{restApiId}:{stageName}` of every protected stage of the stack. */
  Stages?: PlanStage[];
  /** The one stage of a resource made before each stack had one resource for all its stages. */
  Stage?: PlanStage;
}

const stagesIn = (properties: LinkProperties): PlanStage[] =>
  properties.Stages ?? (properties.Stage === undefined ? [] : [properties.Stage]);

/**
 * Makes the usage plan cover `add` and not `remove`, in one update if anything
 * is to change. A plan that is gone covers nothing: there is nothing to remove
 * from it, and adding to it is the error it is.
 */
async function sync(stages: UsagePlanStages, usagePlanId: string, add: PlanStage[], remove: PlanStage[]): Promise<void> {
  const covered = await stages.stagesOf(usagePlanId);
  if (covered === undefined) {
    if (add.length > 0) throw new Error(`Usage plan ${usagePlanId} does not exist`);
    return;
  }
  await stages.change(usagePlanId, {
    add: add.filter((stage) => !covered.includes(stage)),
    remove: remove.filter((stage) => covered.includes(stage)),
  });
}

/**
 * The custom resource that puts a stack's protected REST API stages under the
 * service's usage plans (one resource per stack, so one update per plan however
 * many stages it has): on create and update it adds them to each plan and takes
 * off those the update dropped, and those of plans the update dropped; on delete
 * it takes them off, except stages still registered, which another resource now
 * links (the registration goes before this resource when a stack is deleted).
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const wanted = event.ResourceProperties as unknown as LinkProperties;
  const stages = new UsagePlanStages({ client, budget: context, reserveMs: ANSWER_RESERVE_MS });
  try {
    if (event.RequestType === 'Delete') {
      const registered = new Set(await registeredPlanStages(ssm, registryPath));
      const leaving = stagesIn(wanted).filter((stage) => !registered.has(stage));
      for (const id of wanted.UsagePlanIds) await sync(stages, id, [], leaving);
    } else {
      const old = event.RequestType === 'Update' ? (event.OldResourceProperties as unknown as LinkProperties) : undefined;
      const linked = stagesIn(wanted);
      const dropped = old ? stagesIn(old).filter((stage) => !linked.includes(stage)) : [];
      for (const id of wanted.UsagePlanIds) await sync(stages, id, linked, dropped);
      for (const id of old?.UsagePlanIds ?? []) {
        if (!wanted.UsagePlanIds.includes(id)) await sync(stages, id, [], stagesIn(old as LinkProperties));
      }
    }
    await respond(event, 'SUCCESS');
  } catch (error) {
    logger.error('Linking the stages to the usage plans failed', { error: errorKind(error), stages: stagesIn(wanted) });
    await respond(event, 'FAILED', `Linking ${stagesIn(wanted).join(', ')} to the usage plans failed: ${errorKind(error)}`);
  }
}
