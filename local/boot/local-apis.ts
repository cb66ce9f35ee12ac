import { ORDERS_LOCAL_BASE_PATH, ORDERS_METHODS } from '../../examples/orders/methods';
import { compileMethods, encodeMethods, type ProtectedMethod, SERVICE_PROTECTED_METHODS } from '../../src/protected-methods';
import { ROUTES } from '../../src/routes';
import { createAuthorizerResultCache } from '../apigateway/authorizer-result-cache';
import { type AuthorizerHandler, createAuthorizerRunner } from '../apigateway/authorizer-runner';
import { createGateway, type GatewayRoute } from '../apigateway/gateway';
import type { HttpResponse } from '../apigateway/responses';
import { localStage, type Stage } from '../apigateway/stage';
import { apiStageOf, type UsagePlans } from '../apigateway/usage-plans';
import type { FlushableStage } from '../aws/apigateway-management';
import type { Credentials } from '../aws/sigv4';
import type { GatewayRequest } from '../http/http-request';
import type { loadHandlerModules } from './handler-modules';

export interface LocalApisOptions {
  region: string;
  modules: ReturnType<typeof loadHandlerModules>;
  authorizerCacheTtlSeconds: number;
  adminCredentials: Credentials;
  /** The usage plans, which cover both stages, as the stack makes them. */
  usagePlans: UsagePlans;
}

export interface LocalApis {
  /** The service's API, or the example orders API under /examples. */
  dispatch(request: GatewayRequest): Promise<HttpResponse>;
  /** Each API's stage, for the cache flushes: each has its own authorizer and cache, as in AWS. */
  stages: FlushableStage[];
}

/** The stage variables the construct writes: the declarations, for the authorizer. */
const declarationsOf = (methods: readonly ProtectedMethod[]) => encodeMethods(compileMethods(methods));

/**
 * The REST APIs local mode serves, each as the CDK app deploys it: the service's
 * own, from the route table, and the example orders API (examples/orders), from
 * its declarations, behind the same authorizer function with an authorizer and a
 * cache of its own. Every method behind the x-api-key authorizer requires an
 * API key, so the usage plans apply to it, as the construct deploys it.
 */
export function createLocalApis(options: LocalApisOptions): LocalApis {
  const { modules } = options;
  const runnerFor = (handler: AuthorizerHandler) => {
    const cache = createAuthorizerResultCache(options.authorizerCacheTtlSeconds);
    return { runner: createAuthorizerRunner(handler, cache), flush: () => cache.flush() };
  };

  const serviceStage = localStage(options.region, declarationsOf(SERVICE_PROTECTED_METHODS));
  const service = runnerFor(modules.authorizer);
  const serviceGateway = createGateway({
    routes: ROUTES.map((route) => ({
      ...route,
      name: route.handler,
      handler: modules.handlers[route.handler],
      apiKeyRequired: route.authorization === 'apiKey',
    })),
    authorizer: service.runner,
    // As deployed, the console's authorizer caches nothing: a cached answer would outlive the token.
    jwtAuthorizer: createAuthorizerRunner(modules.jwtAuthorizer, createAuthorizerResultCache(0)),
    stage: serviceStage,
    adminCredentials: options.adminCredentials,
    usagePlans: options.usagePlans,
  });

  const ordersStage: Stage = {
    region: options.region,
    accountId: serviceStage.accountId,
    restApiId: 'orders',
    name: 'v1',
    variables: declarationsOf(ORDERS_METHODS),
  };
  const orders = runnerFor(modules.authorizer);
  const ordersRoutes: GatewayRoute[] = ORDERS_METHODS.map(({ method, path }) => ({
    method,
    path,
    authorization: 'apiKey',
    name: 'orders backend',
    handler: modules.ordersBackend,
    apiKeyRequired: true,
  }));
  const ordersGateway = createGateway({
    routes: ordersRoutes,
    authorizer: orders.runner,
    stage: ordersStage,
    usagePlans: options.usagePlans,
  });

  // Each stage joins every usage plan, as the stack's link custom resources do when it is deployed.
  for (const stage of [serviceStage, ordersStage]) options.usagePlans.deployStage(apiStageOf(stage));

  return {
    dispatch(request) {
      const prefix = `${ORDERS_LOCAL_BASE_PATH}/`;
      if (request.rawPath.startsWith(prefix)) {
        return ordersGateway({ ...request, rawPath: request.rawPath.slice(ORDERS_LOCAL_BASE_PATH.length) });
      }
      return serviceGateway(request);
    },
    stages: [
      { restApiId: serviceStage.restApiId, stageName: serviceStage.name, flushAuthorizerCache: service.flush },
      { restApiId: ordersStage.restApiId, stageName: ordersStage.name, flushAuthorizerCache: orders.flush },
    ],
  };
}
