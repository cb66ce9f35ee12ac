import { Duration } from 'aws-cdk-lib';
import { type CfnStage, type HttpApi, HttpMethod, type HttpRoute, type HttpRouteIntegration } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Construct } from 'constructs';
import { API_KEY_HEADER } from '../src/http-headers';
import type { ProtectedMethod } from '../src/protected-methods';
import type { IApiKeyService } from './i-api-key-service';
import type { MethodAccess } from './method-access';
import { authorizerHandler, invokedWith } from './private/authorizer-invocation';
import { assertSameEnvironment } from './private/same-environment';
import { StageDeclarations } from './private/stage-declarations';

export interface ProtectedHttpApiProps {
  /** The service whose keys, authorizer and cache flushes protect the API. */
  readonly service: IApiKeyService;
  /** The API. Its default stage (`$default`, or the one `createDefaultStage` makes) is the stage protected. */
  readonly api: HttpApi;
  /**
   * How long API Gateway caches a key's answer on this API, from 0 (off) to 1 hour.
   * With caching, a revocation flushes the stage (ResetAuthorizersCache), and the
   * TTL bounds how long a flush that keeps failing can leave a revoked key working.
   *
   * @default Duration.seconds(0) - no caching: every request asks the authorizer, so a revocation holds from the next request
   */
  readonly cacheTtl?: Duration;
}

export interface ProtectedRouteOptions {
  /** The route's path, e.g. `/orders/{orderId}`. */
  readonly path: string;
  /** @default [HttpMethod.ANY] */
  readonly methods?: HttpMethod[];
  readonly integration: HttpRouteIntegration;
  /** What a key needs to call the route. */
  readonly access: MethodAccess;
}

/**
 * An HTTP API whose routes need a key of the service, with a scope per route.
 * Create it with {@link ApiKeyService.protectHttpApi}, then add routes with
 * {@link addRoutes} instead of `api.addRoutes`. The authorizer answers with an
 * IAM policy (payload format 1.0), so the same per-route rules hold as on a
 * RestApi. HTTP APIs take no custom gateway responses: a bad key gets API
 * Gateway's own 401 `{"message":"Unauthorized"}`, a missing scope its 403
 * `{"message":"Forbidden"}`. The backend receives the context values in
 * `requestContext.authorizer.lambda` (payload 2.0) or `requestContext.authorizer` (1.0).
 */
export class ProtectedHttpApi extends Construct {
  /** The protected API. */
  readonly api: HttpApi;

  private readonly authorizer: HttpLambdaAuthorizer;
  private readonly declarations: StageDeclarations;

  constructor(scope: Construct, id: string, props: ProtectedHttpApiProps) {
    super(scope, id);
    const { service, api } = props;
    assertSameEnvironment(service, api);
    this.api = api;
    const stage = api.defaultStage;
    if (!stage) throw new Error(`ProtectedHttpApi: ${api.node.path} has no default stage; keep createDefaultStage on`);
    const cacheTtl = props.cacheTtl ?? Duration.seconds(0);

    this.authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerHandler(this, service), {
      responseTypes: [HttpLambdaResponseType.IAM],
      identitySource: [`$request.header.${API_KEY_HEADER}`],
      resultsCacheTtl: cacheTtl,
      role: invokedWith(this, service),
    });
    const cfnStage = stage.node.defaultChild as CfnStage;
    this.declarations = new StageDeclarations(this, cfnStage, 'StageVariables', () => cfnStage.stageVariables);
    if (cacheTtl.toSeconds() > 0) {
      service.cacheFlush.registerHttpStage(this, 'CacheFlush', api.apiId, stage.stageName);
    }
  }

  /** Adds routes behind the service's keys, callable with a key that `access` admits. */
  addRoutes(options: ProtectedRouteOptions): HttpRoute[] {
    const methods = options.methods ?? [HttpMethod.ANY];
    for (const method of methods) {
      const declared: ProtectedMethod = { method, path: options.path };
      if (options.access.scope !== undefined) declared.scope = options.access.scope;
      this.declarations.add(declared);
    }
    return this.api.addRoutes({
      path: options.path,
      methods,
      integration: options.integration,
      authorizer: this.authorizer,
    });
  }

  /** The routes declared so far, as the authorizer sees them. */
  get methods(): readonly ProtectedMethod[] {
    return this.declarations.declared;
  }
}
