import { createHash } from 'node:crypto';
import { Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * A literal name, unique per account and Region like the stack's own name: the
 * stack name, a label, then a hash of the construct's path, e.g.
 * `ApiKeyService-flush-1a2b3c4d`. At most 64 characters, as Scheduler allows.
 */
export function uniqueName(scope: Construct, label: string): string {
  const stackName = Stack.of(scope).stackName;
  const hash = createHash('sha256').update(scope.node.path).digest('hex').slice(0, 8);
  const suffix = `-${label}-${hash}`;
  const prefix = Token.isUnresolved(stackName) ? 'ApiKeyService' : stackName.slice(0, 64 - suffix.length);
  return `${prefix}${suffix}`;
}
