import { type CfnResource, Lazy, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  compileMethods,
  encodeMethods,
  METHODS_VARIABLE_PREFIX,
  type ProtectedMethod,
  STAGE_VARIABLE_VALUE_LIMIT,
  STAGE_VARIABLES_LIMIT,
} from '../../src/protected-methods';

/**
 * Carries one stage's protected-method declarations to the authorizer, in the
 * stage's variables (API Gateway hands them to a REQUEST authorizer with every
 * event). Written when the app synthesizes, after every method is declared, and
 * merged with the stage's own variables.
 */
export class StageDeclarations {
  private readonly methods: ProtectedMethod[] = [];

  private readonly ownVariables: () => unknown;

  constructor(scope: Construct, stage: CfnResource, property: 'Variables' | 'StageVariables', ownVariables: () => unknown) {
    // The stage's own variables may be produced lazily themselves (HttpStage's are): read them resolved.
    this.ownVariables = () => Stack.of(stage).resolve(ownVariables());
    stage.addPropertyOverride(property, Lazy.any({ produce: () => this.variables() }));
    scope.node.addValidation({ validate: () => this.problems() });
  }

  add(method: ProtectedMethod): void {
    this.methods.push(method);
  }

  /** The methods declared so far. */
  get declared(): readonly ProtectedMethod[] {
    return this.methods;
  }

  private own(): Record<string, string> {
    return (this.ownVariables() as Record<string, string> | undefined) ?? {};
  }

  private variables(): Record<string, string> {
    return { ...this.own(), ...encodeMethods(compileMethods(this.methods)) };
  }

  private problems(): string[] {
    if (Token.isUnresolved(this.ownVariables())) {
      return ['The stage variables are a token: the API key declarations cannot be added to them'];
    }
    let ours: Record<string, string>;
    try {
      ours = encodeMethods(compileMethods(this.methods));
    } catch (error) {
      return [(error as Error).message];
    }
    const own = Object.keys(this.own());
    const clashing = own.filter((name) => name.startsWith(METHODS_VARIABLE_PREFIX));
    if (clashing.length > 0) return [`Stage variables ${clashing.join(', ')} are reserved for the API key declarations`];
    // API Gateway refuses a value over 512 characters at deploy ("Quotas for configuring and running a REST API").
    const tooLong = Object.entries({ ...this.own(), ...ours }).filter(
      ([, value]) => !Token.isUnresolved(value) && value.length > STAGE_VARIABLE_VALUE_LIMIT,
    );
    if (tooLong.length > 0) {
      return [
        `Stage variables ${tooLong.map(([name, value]) => `${name} (${value.length} characters)`).join(', ')} are longer than ` +
          `API Gateway allows: ${STAGE_VARIABLE_VALUE_LIMIT} characters a stage variable value`,
      ];
    }
    const count = own.length + Object.keys(ours).length;
    if (count > STAGE_VARIABLES_LIMIT) {
      return [
        `The stage would need ${count} stage variables (${Object.keys(ours).length} for the API key declarations of ` +
          `${this.methods.length} methods); API Gateway allows ${STAGE_VARIABLES_LIMIT}`,
      ];
    }
    return [];
  }
}
