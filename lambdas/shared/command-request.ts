import type { APIGatewayProxyEvent } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { CommandRequest } from '../../src/domain/key-service';
import { parseOrThrow, tenantIdSchema } from '../../src/domain/validation';
import { callerOf, keyIdOf, readJsonBody, tenantOf } from './http';

/**
 * A key command's request, checked here, at the edge, so the domain takes typed
 * input only: the tenant, the key the path names, the body parsed by `schema`
 * (an absent body reads as `emptyAs`), and the caller. The body's HTTP faults
 * (413, 415, bad JSON) come first, then the tenant's, then the body's fields'.
 */
export function commandRequestOf<S extends z.ZodMiniType>(
  event: APIGatewayProxyEvent,
  body: { schema: S; emptyAs?: unknown },
): CommandRequest<z.output<S>>;
export function commandRequestOf(event: APIGatewayProxyEvent): CommandRequest<void>;
export function commandRequestOf(
  event: APIGatewayProxyEvent,
  body?: { schema: z.ZodMiniType; emptyAs?: unknown },
): CommandRequest<unknown> {
  const json = body ? readJsonBody(event, body.emptyAs) : undefined;
  const tenantId = parseOrThrow(tenantIdSchema, tenantOf(event), 'tenantId');
  const input = body ? parseOrThrow(body.schema, json) : undefined;
  const keyId = event.pathParameters?.keyId === undefined ? {} : { keyId: keyIdOf(event) };
  return { tenantId, ...keyId, input, caller: callerOf(event) };
}
