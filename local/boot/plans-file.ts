import { readFileSync } from 'node:fs';
import { InvalidPlansError, type PlanDeclaration, parsePlans } from '../../src/plans';

/** Reads and checks the declaration that PLANS_FILE names, naming the file in any error. */
export function readPlansFile(path: string): PlanDeclaration {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidPlansError([`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidPlansError([`${path} is not JSON: ${(error as Error).message}`]);
  }
  try {
    return parsePlans(json);
  } catch (error) {
    if (error instanceof InvalidPlansError) throw new InvalidPlansError(error.problems.map((problem) => `${path}: ${problem}`));
    throw error;
  }
}
