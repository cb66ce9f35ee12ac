import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The most characters CloudFormation may resolve each reference of the template
 * to, where a limit on the deployed size (a Lambda environment, a role's inline
 * policies) must be checked at synth: the pseudo parameters' longest values, and
 * for the resources the service refers to, the longest name, id or ARN AWS
 * allows or CDK generates. Anything else counts as 256.
 */
const PSEUDO_PARAMETERS: Record<string, number> = {
  'AWS::Partition': 'aws-iso-b'.length + 1,
  'AWS::Region': 'ap-southeast-7'.length + 1,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 'amazonaws.com.cn'.length + 4,
  'AWS::StackName': 128,
};

/** What `Ref` returns: API Gateway ids are 10 characters; names are as long as their service allows. */
const REF_LENGTHS: Record<string, number> = {
  'AWS::ApiGateway::RestApi': 10,
  'AWS::ApiGateway::UsagePlan': 10,
  'AWS::ApiGateway::Stage': 128,
  'AWS::DynamoDB::Table': 255,
  // https://sqs.{region}.{suffix}/{account}/{name of at most 80}
  'AWS::SQS::Queue': 150,
  'AWS::Cognito::UserPoolClient': 128,
  'AWS::Cognito::UserPoolDomain': 63,
  'AWS::Scheduler::ScheduleGroup': 64,
};

/** What `Fn::GetAtt … Arn` returns: the ARN prefix, then the resource's name (roles and functions CDK names, at most 64). */
const ARN_LENGTHS: Record<string, number> = {
  'AWS::DynamoDB::Table': 64 + 255,
  'AWS::IAM::Role': 64 + 64,
  'AWS::Lambda::Function': 64 + 64,
  'AWS::SQS::Queue': 64 + 80,
  'AWS::Scheduler::ScheduleGroup': 64 + 64,
};

const UNKNOWN_LENGTH = 256;

/**
 * `value` as the deployment could write it at its longest, without the
 * whitespace JSON needs none of: what AWS counts against a size limit.
 */
export function deployedSize(scope: IConstruct, value: unknown): number {
  const stack = Stack.of(scope);
  return JSON.stringify(longest(stack.resolve(value), resourceTypesOf(stack))).length;
}

/** Each stack's resource types by logical id, found once: checks run when the app is complete. */
const resourceTypes = new WeakMap<Stack, Map<string, string>>();

function resourceTypesOf(stack: Stack): ReadonlyMap<string, string> {
  let types = resourceTypes.get(stack);
  if (!types) {
    types = new Map();
    for (const construct of stack.node.findAll()) {
      if (construct instanceof CfnResource && Stack.of(construct) === stack) {
        types.set(stack.resolve(construct.logicalId), construct.cfnResourceType);
      }
    }
    resourceTypes.set(stack, types);
  }
  return types;
}

/** The resolved value with each intrinsic function replaced by a string as long as it may resolve to. */
function longest(value: unknown, types: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => longest(item, types));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [name, argument] = entries[0] ?? [];
  if (entries.length === 1 && (name === 'Ref' || name.startsWith('Fn::'))) {
    return 'x'.repeat(intrinsicLength(name, argument, types));
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, longest(item, types)]));
}

function intrinsicLength(name: string, argument: unknown, types: ReadonlyMap<string, string>): number {
  if (name === 'Ref') {
    const id = String(argument);
    return PSEUDO_PARAMETERS[id] ?? REF_LENGTHS[types.get(id) ?? ''] ?? UNKNOWN_LENGTH;
  }
  if (name === 'Fn::GetAtt' && Array.isArray(argument) && argument[1] === 'Arn') {
    return ARN_LENGTHS[types.get(String(argument[0])) ?? ''] ?? UNKNOWN_LENGTH;
  }
  if (name === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
    const [separator, parts] = argument as [string, unknown[]];
    const lengths = parts.map((part) => (typeof part === 'string' ? part.length : String(longest(part, types)).length));
    return lengths.reduce((sum, length) => sum + length, 0) + separator.length * Math.max(0, parts.length - 1);
  }
  return UNKNOWN_LENGTH;
}
