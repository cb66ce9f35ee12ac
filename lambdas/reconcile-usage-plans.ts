import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { ENV, requiredEnv } from '../src/config';
import { reconcileStages, type StageReconciliation } from '../src/domain/plan-stages';
import type { PlanMovesOutcome } from '../src/domain/tenants';
import { METRICS_SERVICE, UNLINKED_STAGES_METRIC } from '../src/metrics';
import { respond } from './shared/custom-resource';
import { errorKind, logger } from './shared/logger';
import { registeredPlanStages, UsagePlanStages } from './shared/usage-plan-stages';
import { tenantServiceFromEnvironment, usagePlansFromEnvironment } from './shared/usage-plans';

/** Enough to publish the metric and, at a deployment, answer CloudFormation after the last call. */
const FINISH_RESERVE_MS = 10_000;

const client = new APIGatewayClient({ maxAttempts: 1 });
const ssm = new SSMClient({});
const registryPath = requiredEnv(ENV.planStagesPath);
const usagePlanIds = Object.values(usagePlansFromEnvironment().ids);
const tenants = tenantServiceFromEnvironment();
const metrics = new Metrics({ serviceName: METRICS_SERVICE });

export interface ReconcilerRun {
  /** Stages found missing from a usage plan, each once. */
  unlinkedStages: number;
  /** Usage plans whose stages were put back; those whose update failed, for the next run. */
  relinkedPlans: number;
  failedPlans: number;
  /** Tenants' moves between plans that were cut short; at a deployment, none are looked for. */
  planMoves?: PlanMovesOutcome;
}

async function relinkStages(context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<StageReconciliation> {
  const stages = new UsagePlanStages({ client, budget: context, reserveMs: FINISH_RESERVE_MS });
  const result = await reconcileStages(
    {
      registeredStages: () => registeredPlanStages(ssm, registryPath),
      stagesOf: async (usagePlanId) => (await stages.stagesOf(usagePlanId)) ?? [],
      addStages: (usagePlanId, missing) => stages.change(usagePlanId, { add: missing }),
    },
    usagePlanIds,
  );
  metrics.addMetric(UNLINKED_STAGES_METRIC, MetricUnit.Count, result.unlinked.length);
  metrics.publishStoredMetrics();
  if (result.unlinked.length > 0) {
    logger.warn('Registered stages were missing from usage plans', { stages: result.unlinked, relinked: result.relinked });
  }
  for (const { usagePlanId, error } of result.failed) {
    logger.error('Could not put the stages back in a usage plan; the next run retries', { usagePlanId, error: errorKind(error) });
  }
  return result;
}

const isDeployment = (event: unknown): event is CloudFormationCustomResourceEvent =>
  typeof event === 'object' && event !== null && 'RequestType' in event && 'ResponseURL' in event;

/**
 * The usage plan reconciler. On its schedule (every five minutes), it puts every
 * registered stage back in each usage plan that lacks it, publishes how many it
 * found (`UnlinkedStages`), and finishes tenants' moves between plans that were
 * cut short. As a custom resource of the service's stack, it puts the stages
 * back during every deployment that changes a plan, before the deployment
 * completes; it never fails that deployment (a stage left out is the next
 * scheduled run's, and the alarm's).
 */
export async function handler(event: unknown, context: Context): Promise<ReconcilerRun | undefined> {
  if (isDeployment(event)) {
    try {
      if (event.RequestType !== 'Delete') await relinkStages(context);
    } catch (error) {
      logger.error('Putting the stages back in the usage plans failed; the scheduled run retries', { error: errorKind(error) });
    }
    await respond(event, 'SUCCESS');
    return undefined;
  }
  const stages = await relinkStages(context);
  const planMoves = await tenants.finishPlanMoves();
  if (planMoves.finished > 0 || planMoves.left > 0) logger.info("Finished tenants' plan moves cut short", { ...planMoves });
  return {
    unlinkedStages: stages.unlinked.length,
    relinkedPlans: stages.relinked.length,
    failedPlans: stages.failed.length,
    planMoves,
  };
}
