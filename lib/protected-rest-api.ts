import type { Duration } from 'aws-cdk-lib';
import {
  ApiKeySourceType,
  AuthorizationType,
  type CfnAuthorizer,
  type CfnRestApi,
  type CfnStage,
  IdentitySource,
  type Integration,
  type IResource,
  type Method,
  type MethodOptions,
  RequestAuthorizer,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { API_KEY_HEADER } from '../src/http-headers';
import type { ProtectedMethod } from '../src/protected-methods';
import type { IApiKeyService } from './i-api-key-service';
import type { MethodAccess } from './method-access';
import { authorizerHandler, invokedWith, lambdaInvocationUri } from './private/authorizer-invocation';
import { addProblemResponses } from './private/problem-responses';
import { assertSameEnvironment } from './private/same-environment';
import { StageDeclarations } from './private/stage-declarations';

export interface ProtectedRestApiProps {
  /** The service whose keys, authorizer and cache flushes protect the API. */
  readonly service: IApiKeyService;
  /** The API. It needs its deployment stage (`deploy` left on), which is the stage protected. */
  readonly api: RestApi;
  /**
   * How long API Gateway caches a key's answer on this API, from 0 (off) to 1 hour.
   * The stage is flushed when a key is revoked or expires, so this bounds only how
   * long a flush that keeps failing can leave a revoked key working.
   *
   * @default - the service's `authorizerCacheTtl`
   */
  readonly cacheTtl?: Duration;
}

/**
 * A RestApi whose methods need a key of the service, with a scope per method.
 * Create it with {@link ApiKeyService.protectRestApi}, then declare each method
 * with {@link addMethod} instead of `resource.addMethod`: the method gets the
 * API's x-api-key authorizer, and the authorizer's policy gets the method, from
 * the one call, so the two cannot drift. The authorizer itself is not exposed,
 * so no method can use it undeclared.
 *
 * A key without the method's scope gets 403, a missing, unknown, disabled or
 * expired key 401, both from the gateway as problem+json; the backend receives
 * `tenantId`, `keyId`, `keyName`, `scopes` (space-separated) and `meta.{name}` in
 * `requestContext.authorizer`. Revoking a key flushes this stage's cache.
 */
export class ProtectedRestApi extends Construct {
  /** The protected API. */
  readonly api: RestApi;

  private readonly authorizer: RequestAuthorizer;
  private readonly declarations: StageDeclarations;

  constructor(scope: Construct, id: string, props: ProtectedRestApiProps) {
    super(scope, id);
    const { service, api } = props;
    assertSameEnvironment(service, api);
    this.api = api;
    const stage = deploymentStageOf(api);
    const cacheTtl = props.cacheTtl ?? service.authorizerCacheTtl;

    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: authorizerHandler(this, service),
      identitySources: [IdentitySource.header(API_KEY_HEADER)],
      resultsCacheTtl: cacheTtl,
      assumeRole: invokedWith(this, service),
    });
    // CDK would split the function's ARN to find its Region: inside Fn::Split, a reference to another stack
    // (Fn::GetStackOutput, with weak references) is not valid CloudFormation (cfn-lint E1022).
    (this.authorizer.node.defaultChild as CfnAuthorizer).authorizerUri = lambdaInvocationUri(
      this,
      service.authorizerFunction.functionArn,
    );
    const cfnStage = stage.node.defaultChild as CfnStage;
    this.declarations = new StageDeclarations(this, cfnStage, 'Variables', () => cfnStage.variables);
    if (cacheTtl.toSeconds() > 0) {
      // The literal name the stage was made with, not a reference to the Stage: a stage in the service's
      // own stack depends on the functions this registration lets flush it.
      service.cacheFlush.registerRestStage(this, 'CacheFlush', api.restApiId, cfnStage.stageName ?? stage.stageName);
    }
    // Each tenant's requests count against its plan: the authorizer names its usage plan key.
    (api.node.defaultChild as CfnRestApi).apiKeySourceType = ApiKeySourceType.AUTHORIZER;
    service.usagePlans.addStage(this, 'UsagePlans', api, stage);
    addProblemResponses(api);
  }

  /**
   * Adds `httpMethod` to `resource`, behind the service's keys: callable with a
   * key that `access` admits. Takes the options of `resource.addMethod`, except the
   * authorization ones, which this sets.
   */
  addMethod(
    resource: IResource,
    httpMethod: string,
    integration: Integration,
    access: MethodAccess,
    options: Omit<MethodOptions, 'authorizer' | 'authorizationType' | 'authorizationScopes' | 'apiKeyRequired'> = {},
  ): Method {
    if (resource.api !== this.api) {
      throw new Error(`ProtectedRestApi.addMethod: ${resource.path} belongs to another API than ${this.api.node.path}`);
    }
    const given = options as MethodOptions;
    if (given.authorizer || given.authorizationType || given.authorizationScopes || given.apiKeyRequired !== undefined) {
      throw new Error(
        'ProtectedRestApi.addMethod: the authorization options (and apiKeyRequired) are set by the protection, not by the caller',
      );
    }
    const method: ProtectedMethod = { method: httpMethod.toUpperCase(), path: resource.path };
    if (access.scope !== undefined) method.scope = access.scope;
    this.declarations.add(method);
    return resource.addMethod(httpMethod, integration, {
      ...options,
      authorizationType: AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
      // Usage plans apply only to methods that require an API key: the tenant's, named by the authorizer.
      apiKeyRequired: true,
    });
  }

  /** The methods declared so far, as the authorizer sees them. */
  get methods(): readonly ProtectedMethod[] {
    return this.declarations.declared;
  }
}

function deploymentStageOf(api: RestApi) {
  let stage: RestApi['deploymentStage'] | undefined;
  try {
    stage = api.deploymentStage;
  } catch {
    stage = undefined;
  }
  if (!stage) throw new Error(`ProtectedRestApi: ${api.node.path} has no deployment stage; create it with deploy left on`);
  return stage;
}
