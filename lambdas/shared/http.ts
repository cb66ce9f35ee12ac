import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Caller, RequestOrigin } from '../../src/domain/caller';
import { routeOf } from '../../src/routes';

export { header, httpHandler, json, noContent, notFound, parseJson, readJsonBody, readJsonBytes } from './http-handler';

/**
 * The tenant a request acts for: the path's on admin routes (IAM-authorized),
 * otherwise the caller's own, from the authorizer's context.
 */
export function tenantOf(event: APIGatewayProxyEvent): string {
  const tenantId = event.pathParameters?.tenantId ?? (event.requestContext.authorizer?.tenantId as string | undefined);
  if (tenantId === undefined) throw new Error('The route names no tenant and has no authorizer context');
  return tenantId;
}

/** The request that makes a change, as the audit trail names it: API Gateway's request id, and the client's address. */
export function originOf(event: APIGatewayProxyEvent): RequestOrigin {
  const { identity, requestId } = event.requestContext;
  return { requestId, sourceIp: identity?.sourceIp ?? '' };
}

function spaceSeparated(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? value.split(' ') : [];
}

/**
 * Who is asking, as the route's authorizer vouched, and by which request: on admin
 * routes the IAM principal that signed it (which may grant anything), on `apiKey`
 * routes the calling key (its scopes and expiry), on `jwt` routes the console user
 * (the scopes console users may grant).
 */
export function callerOf(event: APIGatewayProxyEvent): Caller {
  const authorization = routeOf(event.httpMethod, event.resource)?.authorization;
  const context = event.requestContext.authorizer ?? {};
  const { identity } = event.requestContext;
  const origin = originOf(event);
  switch (authorization) {
    case 'iam': {
      const arn = identity?.userArn;
      if (!arn) throw new Error('The request context names no IAM principal');
      return { kind: 'iam', arn, origin };
    }
    case 'apiKey': {
      const { keyId, keyName, expiresAt } = context;
      if (typeof keyId !== 'string' || typeof keyName !== 'string') throw new Error('The authorizer context names no key');
      return {
        kind: 'key',
        keyId,
        keyName,
        scopes: spaceSeparated(context.scopes),
        ...(typeof expiresAt === 'string' && expiresAt !== '' ? { expiresAt } : {}),
        origin,
      };
    }
    case 'jwt': {
      if (typeof context.sub !== 'string' || context.sub === '') throw new Error('The authorizer context names no user');
      const email = typeof context.email === 'string' && context.email !== '' ? { email: context.email } : {};
      return { kind: 'user', subject: context.sub, scopes: spaceSeparated(context.scopes), ...email, origin };
    }
    default:
      throw new Error(`No caller on ${event.httpMethod} ${event.resource}: the route takes no self-service caller`);
  }
}

export function keyIdOf(event: APIGatewayProxyEvent): string {
  return event.pathParameters?.keyId ?? '';
}

/** The request's own path as the client sent it (with the stage, where there is one). */
export function requestPath(event: APIGatewayProxyEvent): string {
  return event.requestContext.path || event.path;
}
