import type { ProtectedMethod } from '../../src/protected-methods';

/**
 * The example `orders` API: what each method needs. Its CDK stack and local mode
 * (`/examples/orders...`) are both built from this list.
 */
export const ORDERS_METHODS = [
  { method: 'GET', path: '/orders', scope: 'orders:read' },
  { method: 'POST', path: '/orders', scope: 'orders:write' },
  { method: 'GET', path: '/orders/{orderId}', scope: 'orders:read' },
] as const satisfies readonly ProtectedMethod[];

/** Where local mode serves the example: `/examples/orders` is the API's `/orders`. */
export const ORDERS_LOCAL_BASE_PATH = '/examples';
