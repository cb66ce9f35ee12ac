import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import cdkJson from '../../cdk.json';

/** Time for a synth that bundles all eight Lambdas with esbuild, under coverage, on a busy CI runner. */
export const BUNDLING_SYNTH_TIMEOUT_MS = 240_000;
/** Time for a synth that skips bundling. */
export const SYNTH_TIMEOUT_MS = 60_000;

/**
 * An App with the project's cdk.json context (its feature flags), so tests see the
 * template `npx cdk synth` produces. Without `bundling`, no stack runs esbuild.
 */
export function testApp({ bundling = false, context = {} }: { bundling?: boolean; context?: Record<string, unknown> } = {}): App {
  return new App({
    context: { ...cdkJson.context, ...(bundling ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context },
  });
}

/** The logical id of a construct's CloudFormation resource (its default child). */
export function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement | undefined;
  if (!resource) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}

/** A GetAtt Arn, as the template renders it. */
export function arnOf(id: string): unknown {
  return { 'Fn::GetAtt': [id, 'Arn'] };
}

/** One action on one resource, with the statement's condition: what IAM evaluates. */
export interface Permission {
  action: string;
  resource: unknown;
  condition?: unknown;
}

/**
 * Everything the policies of the template attached to a role allow (inline, and the
 * managed policies the stacks make), flattened to one entry per action and resource,
 * sorted, so tests compare exact sets whatever the statement grouping.
 */
export function permissionsOf(template: Template, roleId: string): Permission[] {
  const permissions: Permission[] = [];
  const policies = [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ];
  for (const policy of policies) {
    const roles = policy.Properties.Roles as unknown[];
    if (!roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }))) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat()) {
          permissions.push(statement.Condition ? { action, resource, condition: statement.Condition } : { action, resource });
        }
      }
    }
  }
  return sortPermissions(permissions);
}

export function sortPermissions(permissions: Permission[]): Permission[] {
  const key = (permission: Permission) => JSON.stringify([permission.action, permission.resource]);
  return [...permissions].sort((a, b) => key(a).localeCompare(key(b)));
}
