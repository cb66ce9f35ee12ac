import { Duration, Stack, Token } from 'aws-cdk-lib';
import {
  AuthorizationType,
  IdentitySource,
  LambdaIntegration,
  RequestAuthorizer,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { DEFAULT_KEY_PREFIX, isValidKeyPrefix, KEY_PREFIX_PATTERN } from '../src/domain/key-format';
import { AUTHORIZER_ENTRY, HANDLERS, type HandlerName, JWT_AUTHORIZER_ENTRY, ROUTES, routePathPattern } from '../src/routes';
import { AuthorizerCacheFlush } from './authorizer-cache-flush';
import { ConsoleSignIn, type ConsoleSignInProps } from './console-sign-in';
import { KeyTable } from './key-table';
import { MethodAccess } from './method-access';
import { consoleFunction } from './private/console-function';
import {
  acknowledgeApiFindings,
  acknowledgeConsoleUserPoolFindings,
  acknowledgeOpenMethod,
  acknowledgePublicConsoleMethod,
} from './private/nag-acknowledgements';
import { serviceApi } from './private/service-api';
import { serviceFunction } from './private/service-function';
import { ProtectedHttpApi, type ProtectedHttpApiProps } from './protected-http-api';
import { ProtectedRestApi, type ProtectedRestApiProps } from './protected-rest-api';
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

/** Where a protection lives in the API it protects: one per API. */
const PROTECTION_ID = 'ApiKeyProtection';

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
   * from 0 (no caching: one DynamoDB read per request) to 1 hour, on the service's
   * own stage and on every RestApi it protects (unless that one sets its own).
   * Revoking, disabling or rotating a key flushes the cache of every protected
   * stage, and so does a one-time EventBridge Scheduler schedule when a key
   * expires or a rotation's grace period ends: the TTL only bounds how long a
   * flush that keeps failing can leave a revoked key working.
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
 * flushes the protected stages' authorizer caches when a key is revoked or expires.
 *
 * Admin routes (`/tenants/...`) need SigV4 (`AuthorizationType.IAM`); the
 * self-service and demo routes need a valid key. Your own APIs, in this stack or
 * another of the same app, account and Region, put their methods behind the
 * service's keys with a scope per method: {@link protectRestApi} and {@link protectHttpApi}.
 */
export class ApiKeyService extends Construct {
  /** The key table (partition key `keyHash`, GSI `byTenant`). */
  readonly table: ITable;
  /** What the service keeps per tenant (partition key `tenantId`, sort key `sk`): idempotent requests. */
  readonly tenantTable: ITable;
  /** The service's API. Its URL, including the stage, is `api.url`. */
  readonly api: RestApi;
  /** The Lambda behind every x-api-key authorizer of the service and of the APIs it protects. */
  readonly authorizerFunction: IFunction;
  /** The route handlers, by handler name, e.g. for alarms on their errors. */
  readonly handlers: Readonly<Record<HandlerName, IFunction>>;
  /** How long API Gateway caches an authorizer answer. */
  readonly authorizerCacheTtl: Duration;
  /** What flushes the protected stages' authorizer caches: now, and at each key's expiry. */
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
    // Built from the literal stage name: the Stage depends on the functions that are told this URL.
    const { region, urlSuffix } = Stack.of(this);
    this.consoleUrl = `https://${this.api.restApiId}.execute-api.${region}.${urlSuffix}/${this.stageName}/console`;
    this.consoleSignIn = new ConsoleSignIn(this, 'ConsoleSignIn', { ...props.console, consoleUrl: this.consoleUrl });
    this.cacheFlush = new AuthorizerCacheFlush(this, 'CacheFlush', { logRetention });

    const authorizerFunction = serviceFunction(this, 'Authorizer', {
      entry: AUTHORIZER_ENTRY,
      timeout: AUTHORIZER_TIMEOUT,
      // Every authorized request waits on it: more memory means more CPU and faster cold starts.
      memorySize: 512,
      logRetention,
      // Lambda reads the stack of every refusal: mapping it would make the first one cost 100 ms.
      sourceMapsAtRuntime: false,
    });
    this.keyTable.grantVerify(authorizerFunction);
    this.authorizerFunction = authorizerFunction;

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
      if (definition.verifiesKeys) this.keyTable.grantVerify(fn);
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
   * Puts methods of `api` behind the service's keys: declare each with the
   * returned protection's `addMethod`, naming the scope it needs. `api` may be in
   * another stack of the same app, account and Region.
   */
  protectRestApi(api: RestApi, options: Omit<ProtectedRestApiProps, 'service' | 'api'> = {}): ProtectedRestApi {
    return new ProtectedRestApi(api, PROTECTION_ID, { service: this, api, ...options });
  }

  /** Puts routes of an HTTP API behind the service's keys, as {@link protectRestApi} does a RestApi's methods. */
  protectHttpApi(api: HttpApi, options: Omit<ProtectedHttpApiProps, 'service' | 'api'> = {}): ProtectedHttpApi {
    return new ProtectedHttpApi(api, PROTECTION_ID, { service: this, api, ...options });
  }

  /**
   * Lets `grantee` call the admin routes (`/tenants/...` and `POST /verify`) with
   * SigV4: what a back office needs, and nothing of the self-service routes.
   */
  grantAdmin(grantee: IGrantable): Grant {
    const adminRoutes = ROUTES.filter((route) => route.authorization === 'iam');
    return Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: adminRoutes.map((route) => this.api.arnForExecuteApi(route.method, routePathPattern(route), this.stageName)),
    });
  }

  /** Lets `grantee` read key records: GetItem by hash on the table, Query on `byTenant`. No writes. */
  grantReadKeys(grantee: IGrantable): Grant {
    return this.keyTable.grantReadKeys(grantee);
  }

  private addRoutes(): void {
    const selfService = new ProtectedRestApi(this, 'SelfServiceProtection', { service: this, api: this.api });
    const integrations = new Map<HandlerName, LambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.handler);
      if (!integration) {
        // No test-invoke permission: the console's test button is not worth a second grant per route.
        integration = new LambdaIntegration(this.handlers[route.handler], { allowTestInvoke: false });
        integrations.set(route.handler, integration);
      }
      const resource = this.api.root.resourceForPath(route.path);
      switch (route.authorization) {
        case 'iam':
          resource.addMethod(route.method, integration, { authorizationType: AuthorizationType.IAM });
          break;
        case 'apiKey':
          selfService.addMethod(
            resource,
            route.method,
            integration,
            route.scope === undefined ? MethodAccess.anyValidKey() : MethodAccess.scope(route.scope),
          );
          break;
        case 'jwt':
          resource.addMethod(route.method, integration, {
            authorizationType: AuthorizationType.CUSTOM,
            authorizer: this.consoleAuthorizer,
          });
          break;
        case 'none': {
          const method = resource.addMethod(route.method, integration, { authorizationType: AuthorizationType.NONE });
          if (HANDLERS[route.handler].servesConsole) acknowledgePublicConsoleMethod(method);
          else acknowledgeOpenMethod(method);
          break;
        }
      }
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

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
