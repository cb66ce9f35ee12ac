import { createHash } from 'node:crypto';

/**
 * The value of a tenant's API Gateway API key, which the authorizer returns as
 * `usageIdentifierKey` so that the gateway counts the request against the
 * tenant's usage plan. Derived, not stored: the authorizer needs no read for it.
 * It is no secret: with the API key source AUTHORIZER, the gateway takes the
 * value only from the authorizer, never from a caller. The namespace (one per
 * deployment) keeps two deployments in one account apart. Hex: API Gateway takes
 * alphanumeric values of 20 to 128 characters.
 */
export function usageKeyValue(namespace: string, tenantId: string): string {
  return createHash('sha256').update(`${namespace}\u0000${tenantId}`).digest('hex');
}

/** The API Gateway API key's name: the deployment and the tenant, so an operator can read it. */
export function usageKeyName(namespace: string, tenantId: string): string {
  return `${namespace}/${tenantId}`;
}
