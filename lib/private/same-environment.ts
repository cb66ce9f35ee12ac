import { Stack, Token, TokenComparison } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The authorizer is the service's function: the API must be in its account and Region. */
export function assertSameEnvironment(service: IConstruct, other: IConstruct): void {
  const here = Stack.of(service);
  const there = Stack.of(other);
  const differ = (a: string, b: string) => Token.compareStrings(a, b) === TokenComparison.DIFFERENT;
  if (differ(here.account, there.account) || differ(here.region, there.region)) {
    throw new Error(`${other.node.path} must be in the same account and Region as ${service.node.path}`);
  }
}
