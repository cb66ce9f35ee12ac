/**
 * P7 for `npm run bench` (bench/performance.ts loads it): the depth of sequential AWS calls on each admin
 * operation's response path, per variant (test/support/response-path-depth.ts,
 * which test/unit/lambdas/response-path-depth.test.ts holds to the same budgets).
 * One row: the worst variant of create, update, delete, rotate and revoke against
 * their budgets; every variant's depth in the details.
 */
import { measureResponsePathDepths, P7_BUDGETS } from '../test/support/response-path-depth';
import type { BenchResult } from './bench-result';

export async function measureAdminCallDepth(): Promise<BenchResult> {
  const measures = await measureResponsePathDepths();
  const operations = Object.keys(P7_BUDGETS) as (keyof typeof P7_BUDGETS)[];
  const worst = Object.fromEntries(
    operations.map((operation) => [
      operation,
      Math.max(...measures.filter((measure) => measure.operation === operation).map((measure) => measure.depth)),
    ]),
  ) as Record<keyof typeof P7_BUDGETS, number>;
  const figure = operations.reduce((sum, operation) => sum + worst[operation], 0);
  const baseline = operations.reduce((sum, operation) => sum + P7_BUDGETS[operation], 0);
  return {
    id: 'P7',
    measure: `admin operations: sequential AWS calls on the response path, worst variant of ${operations.join(' / ')}`,
    measured: true,
    figure,
    unit: `calls in a row (${operations.map((operation) => worst[operation]).join(' / ')})`,
    baseline,
    baselineName: `the budgets, ${operations.map((operation) => P7_BUDGETS[operation]).join(' / ')}`,
    ratio: Number((figure / baseline).toFixed(2)),
    budget:
      'create ≤ 2 for a tenant already arranged, update and delete ≤ 3, rotate ≤ 4, revoke ≤ 3 (as update), in every variant',
    pass: measures.every((measure) => measure.depth <= P7_BUDGETS[measure.operation]),
    method: 'counts: the deployed handlers with every AWS call stubbed (5 ms each), the depth of calls made one after another',
    details: {
      variants: measures.map(({ operation, variant, depth, firstRunDepth, levels }) => ({
        operation,
        variant,
        depth,
        firstRunDepth,
        calls: levels.map((level) => level.join(' ∥ ')).join(' → '),
      })),
    },
  };
}
