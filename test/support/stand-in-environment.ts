import { ENV } from '../../src/config';

/**
 * A function's environment as its template gives it, for starting its bundle
 * outside AWS: literal values as they are, and a reference to another resource
 * (which only a deployment resolves) as a stand-in of its shape.
 */
export function standInEnvironment(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string'
        ? value
        : name.endsWith('_ARN')
          ? 'arn:aws:iam::123456789012:role/stand-in'
          : name === ENV.usagePlans
            ? JSON.stringify({ default: 'free', ids: { free: 'stand-in' } })
            : 'stand-in',
    ]),
  );
}
