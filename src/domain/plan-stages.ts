/**
 * Which protected REST API stages the usage plans must cover, and putting back
 * those missing. A key counts only on a stage of its usage plan: a stage missing
 * from a plan refuses every valid key of that plan's tenants (API Gateway's
 * INVALID_API_KEY, which the service answers as 503). CloudFormation's update of a
 * usage plan can drop stages that were added outside its template (aws-cdk issue
 * 32544), which is how the service adds them, so they are checked on every
 * deployment that changes a plan and on a schedule.
 */

/** A stage as usage plans name it: `{restApiId}:{stageName}`. */
export type PlanStage = string;

export interface PlanStagePorts {
  /** Every stage registered for the usage plans, by the stacks that protect them. */
  registeredStages(): Promise<PlanStage[]>;
  /** The stages a usage plan covers now. */
  stagesOf(usagePlanId: string): Promise<PlanStage[]>;
  /** Adds the stages to the usage plan, in one update. */
  addStages(usagePlanId: string, stages: readonly PlanStage[]): Promise<void>;
}

export interface StageReconciliation {
  /** Registered stages missing from at least one usage plan when the run began (the `UnlinkedStages` metric). */
  unlinked: PlanStage[];
  /** The usage plans that got their missing stages back. */
  relinked: string[];
  /** The usage plans whose update failed this time, with why: for the next run. */
  failed: { usagePlanId: string; error: unknown }[];
}

/**
 * Finds, for each usage plan, the registered stages it lacks, and adds them with
 * one update per plan that lacks any. A plan whose update fails does not stop
 * the others.
 */
export async function reconcileStages(ports: PlanStagePorts, usagePlanIds: readonly string[]): Promise<StageReconciliation> {
  const registered = await ports.registeredStages();
  const missing = new Map<string, PlanStage[]>();
  for (const usagePlanId of usagePlanIds) {
    const covered = new Set(await ports.stagesOf(usagePlanId));
    const lacking = registered.filter((stage) => !covered.has(stage));
    if (lacking.length > 0) missing.set(usagePlanId, lacking);
  }
  const result: StageReconciliation = {
    unlinked: [...new Set([...missing.values()].flat())].sort(),
    relinked: [],
    failed: [],
  };
  for (const [usagePlanId, stages] of missing) {
    try {
      await ports.addStages(usagePlanId, stages);
      result.relinked.push(usagePlanId);
    } catch (error) {
      result.failed.push({ usagePlanId, error });
    }
  }
  return result;
}
