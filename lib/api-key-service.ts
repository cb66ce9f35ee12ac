import { Duration, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import {
  AuthorizationType,
  IdentitySource,
  LambdaIntegration,
  type MethodOptions,
  RequestAuthorizer,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { DEFAULT_KEY_PREFIX, isValidKeyPrefix, KEY_PREFIX_PATTERN } from '../src/domain/key-format';
import { API_KEY_HEADER } from '../src/http-headers';
import { AUTHORIZER_ENTRY, HANDLERS, type HandlerName, JWT_AUTHORIZER_ENTRY, ROUTES, type Route } from '../src/routes';
import { AuthorizerCacheFlush } from './authorizer-cache-flush';
import { ConsoleSignIn, type ConsoleSignInProps } from './console-sign-in';
import { KeyTable } from './key-table';
import { consoleFunction } from './private/console-function';
import {
  acknowledgeApiFindings,
  acknowledgeConsoleUserPoolFindings,
  acknowledgePublicConsoleMethod,
} from './private/nag-acknowledgements';
import { serviceApi } from './private/service-api';
import { serviceFunction } from './private/service-function';
import { TenantTable } from './tenant-table';

/**
 * The authorizer makes one DynamoDB read, bounded at about 3 × 1.5 s plus
 * back-off; anything slower is failing, and fails closed.
 */
const AUTHORIZER_TIMEOUT = Duration.seconds(5);

/**
 * A handler makes at most four DynamoDB calls (rotate: Query, PutItem, UpdateItem,
 * and DeleteItem if it must withdraw), each bounded like the authorizer's, plus a
 * best-effort cache flush and flush schedule. 20 s covers that and still ends well
 * before API Gateway's 29 s integration timeout, so the client gets the handler's
 * own problem+json.
 */
const HANDLER_TIMEOUT = Duration.seconds(20);

export interface ApiKeyServiceProps {
  /**
   * Prefix of newly issued keys, e.g. `zk_live`. It must match
   * `^[a-z][a-z0-9]{0,9}(_[a-z0-9]{1,10})?$`. Keys issued under an earlier prefix keep working.
   *
   * @default 'ak'
   */
  readonly keyPrefix?: string;

  /**
   * How long API Gateway caches the authorizer's answer for one `x-api-key` value,
   * from 0 (no caching: one DynamoDB read per request) to 1 hour. Revoking,
   * disabling or rotating a key flushes the cache of this service's own stage, and
   * so does a one-time EventBridge Scheduler schedule when a key expires or a
   * rotation's grace period ends; a RestApi that borrows the authorizer keeps its
   * cached answers for up to this long.
   *
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;

  /**
   * Name of the API's stage: the first segment of every URL path.
   *
   * @default 'v1'
   */
  readonly stageName?: string;

  /**
   * Steady-state requests per second the stage accepts, across all clients,
   * before answering 429.
   *
   * @default 100
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the stage accepts in a burst above the steady-state rate.
   *
   * @default 200
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Retention of the Lambda log groups and the API access log group. These hold
   * ids and tenants, never keys; they are retained when the stack is deleted.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;

  /**
   * Whether to set API Gateway's account-wide CloudWatch Logs role for this
   * Region, which execution logging needs. Set it to false when the account
   * already has one: there is a single such role per account and Region.
   *
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;

  /**
   * ARN of a regional AWS WAFv2 web ACL to associate with the stage, e.g. for
   * IP allow-lists or rate-based rules beyond the stage throttling.
   *
   * @default - no web ACL
   */
  readonly webAclArn?: string;

  /**
   * The console at `{api.url}console`: how its users sign in (your OpenID Connect
   * issuer and client, or a Cognito user pool made for it), the claim that names
   * their tenant, what they may grant, and who may frame it.
   *
   * @default - a Cognito user pool with a `tenant` attribute; console users grant no scopes; no page may frame it
   */
  readonly console?: ConsoleSignInProps;
}

/**
 * The API key service: the key table, one Lambda per handler, the x-api-key
 * REQUEST authorizer, the RestApi with every route of the route table, and what
 * flushes the stage's authorizer cache when a key is revoked or expires.
 *
 * Admin routes (`/tenants/...`) need SigV4 (`AuthorizationType.IAM`); the
 * self-service and demo routes need a valid key. Other RestApis in the same
 * account and Region can put their routes behind the same authorizer with
 * {@link ApiKeyService.createAuthorizer}.
 */
export class ApiKeyService extends Construct {
  /** The key table (partition key `keyHash`, GSI `byTenant`). */
  readonly table: ITable;
  /** What the service keeps per tenant (partition key `tenantId`, sort key `sk`): idempotent requests. */
  readonly tenantTable: ITable;
  /** The service's API. Its URL, including the stage, is `api.url`. */
  readonly api: RestApi;
  /** The x-api-key REQUEST authorizer on the service's own API. */
  readonly authorizer: RequestAuthorizer;
  /** The Lambda behind every authorizer this service hands out. */
  readonly authorizerFunction: IFunction;
  /** The route handlers, by handler name, e.g. for alarms on their errors. */
  readonly handlers: Readonly<Record<HandlerName, IFunction>>;
  /** How long API Gateway caches an authorizer answer. */
  readonly authorizerCacheTtl: Duration;
  /** What flushes the stage's authorizer cache: now, and at each key's expiry. */
  readonly cacheFlush: AuthorizerCacheFlush;
  /** How console users sign in: the issuer and client, and the Cognito user pool when the construct made one. */
  readonly consoleSignIn: ConsoleSignIn;
  /** The Lambda that checks console users' tokens (the JWT authorizer of the console's API routes). */
  readonly consoleAuthorizerFunction: IFunction;
  /** The console page's URL. */
  readonly consoleUrl: string;

  private readonly stageName: string;
  private readonly keyTable: KeyTable;
  private readonly consoleAuthorizer: RequestAuthorizer;

  constructor(scope: Construct, id: string, props: ApiKeyServiceProps = {}) {
    super(scope, id);
    const keyPrefix = props.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.stageName = props.stageName ?? 'v1';
    this.authorizerCacheTtl = props.authorizerCacheTtl ?? Duration.minutes(5);
    const logRetention = props.logRetention ?? RetentionDays.ONE_YEAR;
    const throttlingRateLimit = props.throttlingRateLimit ?? 100;
    const throttlingBurstLimit = props.throttlingBurstLimit ?? 200;
    validateProps({ keyPrefix, stageName: this.stageName, throttlingRateLimit, throttlingBurstLimit });

    this.keyTable = new KeyTable(this, 'KeyTable');
    this.table = this.keyTable.table;
    const tenantTable = new TenantTable(this, 'TenantTable');
    this.tenantTable = tenantTable.table;
    this.api = serviceApi(this, {
      stageName: this.stageName,
      logRetention,
      throttlingRateLimit,
      throttlingBurstLimit,
      cloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
    });
    if (props.webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    }
    // Built from the literal stage name, like the flush: the Stage depends on the functions that are told this URL.
    const { region, urlSuffix } = Stack.of(this);
    this.consoleUrl = `https://${this.api.restApiId}.execute-api.${region}.${urlSuffix}/${this.stageName}/console`;
    this.consoleSignIn = new ConsoleSignIn(this, 'ConsoleSignIn', { ...props.console, consoleUrl: this.consoleUrl });
    // Given the literal stage name: the Stage resource depends on the functions granted here.
    this.cacheFlush = new AuthorizerCacheFlush(this, 'CacheFlush', { restApi: this.api, stageName: this.stageName });

    const authorizerFunction = serviceFunction(this, 'Authorizer', {
      entry: AUTHORIZER_ENTRY,
      timeout: AUTHORIZER_TIMEOUT,
      // Every authorized request waits on it: more memory means more CPU and faster cold starts.
      memorySize: 512,
      logRetention,
    });
    this.keyTable.grantVerify(authorizerFunction);
    // REST_API_ID tells the service's own API (route scopes) from a borrowing one (stage-wide).
    authorizerFunction.addEnvironment(ENV.restApiId, this.api.restApiId);
    this.authorizerFunction = authorizerFunction;
    this.authorizer = new RequestAuthorizer(this, 'ApiKeyAuthorizer', {
      handler: this.authorizerFunction,
      identitySources: [IdentitySource.header(API_KEY_HEADER)],
      resultsCacheTtl: this.authorizerCacheTtl,
    });

    const consoleAuthorizerFunction = serviceFunction(this, 'ConsoleAuthorizer', {
      entry: JWT_AUTHORIZER_ENTRY,
      timeout: AUTHORIZER_TIMEOUT,
      memorySize: 512,
      logRetention,
    });
    this.consoleSignIn.bindVerifier(consoleAuthorizerFunction);
    this.consoleAuthorizerFunction = consoleAuthorizerFunction;
    this.consoleAuthorizer = new RequestAuthorizer(this, 'ConsoleUserAuthorizer', {
      handler: consoleAuthorizerFunction,
      identitySources: [IdentitySource.header('Authorization')],
      // Nothing cached: API Gateway cannot tie a cached answer to the token's expiry, so it could outlive the token.
      resultsCacheTtl: Duration.seconds(0),
    });

    const handlers = {} as Record<HandlerName, IFunction>;
    for (const [name, definition] of Object.entries(HANDLERS) as [HandlerName, (typeof HANDLERS)[HandlerName]][]) {
      const settings = { timeout: HANDLER_TIMEOUT, memorySize: 256, logRetention };
      const fn = definition.servesConsole
        ? consoleFunction(this, pascalCase(name), settings)
        : serviceFunction(this, pascalCase(name), { entry: definition.entry, ...settings });
      if (definition.servesConsole) this.consoleSignIn.bindPage(fn);
      if (definition.tableActions.length > 0 || definition.indexActions.length > 0) this.keyTable.grantAccess(fn, definition);
      if (definition.tenantTableActions.length > 0) tenantTable.grantAccess(fn, definition.tenantTableActions);
      if (definition.issuesKeys) fn.addEnvironment(ENV.keyPrefix, keyPrefix);
      if (definition.invalidation.includes('flushNow')) this.cacheFlush.grantFlushNow(fn);
      if (definition.invalidation.includes('flushAt')) this.cacheFlush.grantScheduleFlush(fn);
      handlers[name] = fn;
    }
    this.handlers = handlers;
    this.addRoutes();
    acknowledgeApiFindings(this.api, props.webAclArn !== undefined);
    if (this.consoleSignIn.userPool) acknowledgeConsoleUserPoolFindings(this.consoleSignIn.userPool);
  }

  /**
   * A new authorizer for another RestApi in the same account and Region, backed by
   * this service's authorizer function and table, with the same identity source
   * (`x-api-key` header) and cache TTL. Use it as the `authorizer` of that API's
   * methods. It can live in another stack of the same app.
   *
   * On a foreign API the authorizer allows any valid key on the whole stage, and
   * passes the backend `tenantId`, `keyId`, `keyName` and `scopes` (space-separated)
   * in `event.requestContext.authorizer`: the backend checks scopes itself.
   * Neither revoking a key nor its expiry flushes that API's authorizer cache, so keep its TTL short.
   */
  createAuthorizer(scope: Construct, id: string): RequestAuthorizer {
    const here = Stack.of(this);
    const there = Stack.of(scope);
    if (knownToDiffer(here.account, there.account) || knownToDiffer(here.region, there.region)) {
      throw new Error(
        `ApiKeyService.createAuthorizer: ${there.node.path} must be in the same account and Region as ${here.node.path}`,
      );
    }
    // Referenced in the consumer's scope, so its invoke permission is created there
    // too; otherwise the two stacks would reference each other.
    const handler = LambdaFunction.fromFunctionAttributes(scope, `${id}Function`, {
      functionArn: this.authorizerFunction.functionArn,
      sameEnvironment: true,
    });
    return new RequestAuthorizer(scope, id, {
      handler,
      identitySources: [IdentitySource.header(API_KEY_HEADER)],
      resultsCacheTtl: this.authorizerCacheTtl,
    });
  }

  /**
   * Lets `grantee` call the admin routes (`/tenants/...`) with SigV4: what a back
   * office needs, and nothing of the self-service routes.
   */
  grantAdmin(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi('*', '/tenants/*', this.stageName)],
    });
  }

  /** Lets `grantee` read key records: GetItem by hash on the table, Query on `byTenant`. No writes. */
  grantReadKeys(grantee: IGrantable): Grant {
    return this.keyTable.grantReadKeys(grantee);
  }

  private addRoutes(): void {
    const integrations = new Map<HandlerName, LambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.handler);
      if (!integration) {
        // No test-invoke permission: the console's test button is not worth a second grant per route.
        integration = new LambdaIntegration(this.handlers[route.handler], { allowTestInvoke: false });
        integrations.set(route.handler, integration);
      }
      const method = this.api.root.resourceForPath(route.path).addMethod(route.method, integration, this.methodOptions(route));
      if (route.authorization === 'none') acknowledgePublicConsoleMethod(method);
    }
  }

  private methodOptions(route: Route): MethodOptions {
    switch (route.authorization) {
      case 'iam':
        return { authorizationType: AuthorizationType.IAM };
      case 'apiKey':
        return { authorizationType: AuthorizationType.CUSTOM, authorizer: this.authorizer };
      case 'jwt':
        return { authorizationType: AuthorizationType.CUSTOM, authorizer: this.consoleAuthorizer };
      case 'none':
        return { authorizationType: AuthorizationType.NONE };
    }
  }
}

/** Checks what can be checked at synth time; a token is left for the deployment to resolve. */
function validateProps(props: {
  keyPrefix: string;
  stageName: string;
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
}): void {
  const { keyPrefix, stageName, throttlingRateLimit: rate, throttlingBurstLimit: burst } = props;
  if (!Token.isUnresolved(keyPrefix) && !isValidKeyPrefix(keyPrefix)) {
    throw new Error(
      `ApiKeyService: keyPrefix "${keyPrefix}" is not valid: it must match ${KEY_PREFIX_PATTERN.source}, e.g. "ak" or "zk_live"`,
    );
  }
  if (!Token.isUnresolved(stageName) && !/^[A-Za-z0-9_-]{1,128}$/.test(stageName)) {
    throw new Error(`ApiKeyService: stageName "${stageName}" is not valid: use 1-128 letters, digits, "-" or "_"`);
  }
  if (!Token.isUnresolved(rate) && !(Number.isFinite(rate) && rate >= 0)) {
    throw new Error(`ApiKeyService: throttlingRateLimit must be 0 or more requests per second, got ${rate}`);
  }
  if (!Token.isUnresolved(burst) && !(Number.isInteger(burst) && burst >= 0)) {
    throw new Error(`ApiKeyService: throttlingBurstLimit must be a whole number of requests, 0 or more, got ${burst}`);
  }
}

/** True only when both are resolved and different: unresolved tokens may well match at deploy time. */
function knownToDiffer(a: string, b: string): boolean {
  return Token.compareStrings(a, b) === TokenComparison.DIFFERENT;
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
