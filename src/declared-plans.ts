import declaration from '../config/plans.json';
import { type PlanDeclaration, parsePlans } from './plans';

/** The plans of config/plans.json: the construct's default, and local mode's unless PLANS_FILE replaces them. */
export const DECLARED_PLANS: PlanDeclaration = parsePlans(declaration);
