/**
 * One row of `npm run bench`'s table and of bench/results.json. A module that
 * measures a budget of its own (P7, bench/admin-call-depth.ts) returns one too.
 */
export interface BenchResult {
  /** DESIGN §15's id: P1 … P7, P3h. */
  id: string;
  measure: string;
  /** Whether the figures were measured; a row that could not be (its module is missing) says why in `details.notMeasured`. */
  measured: boolean;
  /** The measure's figure and its baseline in the same run; null when not measured. */
  figure: number | null;
  unit: string;
  baseline: number | null;
  baselineName: string;
  /** figure / baseline, or the ratio the budget bounds (named in `measure`). */
  ratio: number | null;
  budget: string;
  pass: boolean;
  /** How the figure was made: CPU time, instruction counts, bytes, counts. */
  method: string;
  details?: Record<string, unknown>;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
