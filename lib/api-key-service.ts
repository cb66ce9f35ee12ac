import { Duration, Stack, Token } from 'aws-cdk-lib';
import {
  AuthorizationType,
  IdentitySource,
  LambdaIntegration,
  RequestAuthorizer,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant, type IGrantable, type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { DECLARED_PLANS } from '../src/declared-plans';
import { DEFAULT_KEY_PREFIX, isValidKeyPrefix, KEY_PREFIX_PATTERN } from '../src/domain/key-format';
import { type FunctionGrants, grantHandler, ROUTELESS_GRANTS } from '../src/function-grants';
import {
  DEFAULT_METRICS_NAMESPACE,
  lookupLatencyMetricName,
  METRICS_SERVICE,
  type MeasuredOutcome,
  outcomeMetricName,
  UNLINKED_STAGES_METRIC,
} from '../src/metrics';
import { type PlanDeclaration, parsePlans } from '../src/plans';
import { AUTHORIZER_ENTRY, HANDLERS, type HandlerName, JWT_AUTHORIZER_ENTRY, ROUTES, routePathPattern } from '../src/routes';
import { KEY_TABLE } from '../src/store/table-schema';
import { AuditTrail } from './audit-trail';
import { AuthorizerCacheFlush } from './authorizer-cache-flush';
import { ConsoleSignIn, type ConsoleSignInProps } from './console-sign-in';
import { ExpiryWarnings } from './expiry-warnings';
import type { IApiKeyService, VerificationMetricOptions } from './i-api-key-service';
import { KeyTable } from './key-table';
import { MethodAccess } from './method-access';
import { consoleFunction } from './private/console-function';
import {
  acknowledgeApiFindings,
  acknowledgeConsoleUserPoolFindings,
  acknowledgeOpenMethod,
  acknowledgePublicConsoleMethod,
  acknowledgePublicRevocationMethod,
} from './private/nag-acknowledgements';
import { serviceApi } from './private/service-api';
import { serviceFunction } from './private/service-function';
import { ProtectedHttpApi, type ProtectedHttpApiProps } from './protected-http-api';
import { ProtectedRestApi, type ProtectedRestApiProps } from './protected-rest-api';
import { ServiceMonitoring, type ServiceMonitoringOptions } from './service-monitoring';
import { TenantTable } from './tenant-table';
import { TenantUsagePlans } from './tenant-usage-plans';

/**
 * The authorizer makes one DynamoDB read, bounded at about 3 × 1.5 s plus
 * back-off; anything slower is failing, and fails closed.
 */
const AUTHORIZER_TIMEOUT = Duration.seconds(5);

/**
 * A handler makes at most four DynamoDB calls in a row for its change (rotate:
 * Query, PutItem, UpdateItem, UpdateItem, and its undo if it must), each bounded
 * like the authorizer's, with a best-effort cache flush and flush schedules
 * alongside; its audit record is delivered after it answers. 20 s covers that and
 * still ends well before API Gateway's 29 s integration timeout, so the client
 * gets the handler's own problem+json.
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
   * The plans tenants can be on: each a steady rate and burst (requests per
   * second) and an optional quota per day, week or month, with one the default.
   * Each becomes an API Gateway usage plan over the service's stage and every
   * REST API it protects; `PUT /tenants/{tenantId}` moves a tenant between them.
   *
   * @default - the plans of the package's config/plans.json: `free` (5/s, burst 10, 1,000 a day; the default) and `pro` (100/s, burst 200)
   */
  readonly plans?: PlanDeclaration;

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

  /**
   * CloudWatch namespace of the service's own metrics: one count per verification
   * outcome of the authorizer and of POST /verify, and the key lookup's latency
   * (docs/operations.md). Give each deployment in an account and Region its own,
   * or their metrics add up.
   *
   * @default 'ApiKeyService'
   */
  readonly metricsNamespace?: string;

  /**
   * CloudWatch alarms and a dashboard for the service (docs/operations.md):
   * who is notified, and each alarm's threshold. `false` makes neither; the
   * functions still write their metrics.
   *
   * @default - alarms with the thresholds' defaults, no notifications, and the dashboard
   */
  readonly monitoring?: ServiceMonitoringOptions | false;

  /**
   * AWS X-Ray active tracing on every function of the service and on the API stage.
   *
   * @default false
   */
  readonly tracing?: boolean;

  /**
   * Concurrency reserved for the authorizer, a positive whole number: it can always
   * run that many at once, and never more, whatever else in the account is busy.
   *
   * @default - none: the authorizer shares the account's unreserved concurrency
   */
  readonly authorizerReservedConcurrency?: number;

  /**
   * How long the audit trail keeps each record (DynamoDB TTL in the tenant table):
   * a whole number of seconds, at least a day.
   *
   * @default Duration.days(400)
   */
  readonly auditRetention?: Duration;

  /**
   * The EventBridge bus every audit record is published to, as an event whose
   * `detail-type` is the action (`key.created`, …) and whose `detail` is the record.
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: IEventBus;

  /**
   * The `source` of those events; the functions may publish with this source only.
   *
   * @default 'api-key-service'
   */
  readonly eventSource?: string;

  /**
   * How long before its expiry an active key gets its one `key.expiring` record and
   * event (docs/audit.md): a whole number of seconds, from a minute to 366 days. A
   * key whose expiry is set inside that window is warned at once.
   *
   * @default Duration.days(7)
   */
  readonly expiryWarning?: Duration;

  /**
   * The throttle of `POST /revoke`, which anyone may call with a key to end it: API
   * Gateway's method throttling, one limit for all callers (steady requests per
   * second, and the burst above it), within the stage's.
   *
   * @default - 10 requests per second, a burst of 20
   */
  readonly publicRevocationThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
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
export class ApiKeyService extends Construct implements IApiKeyService {
  /** The key table (partition key `keyHash`, GSI `byTenant`). */
  readonly table: ITable;
  /** What the service keeps per tenant (partition key `tenantId`, sort key `sk`): its plan, idempotent requests. */
  readonly tenantTable: ITable;
  /** The service's API. Its URL, including the stage, is `api.url`. */
  readonly api: RestApi;
  /** The Lambda behind every x-api-key authorizer of the service and of the APIs it protects. */
  readonly authorizerFunction: IFunction;
  /**
   * The role API Gateway assumes to invoke the authorizer (each protected API's
   * `AuthorizerCredentials`), so that no protected API adds a statement to the
   * function's resource policy, which Lambda caps at 20 KB.
   */
  readonly authorizerInvokeRole: IRole;
  /** The route handlers, by handler name, e.g. for alarms on their errors. */
  readonly handlers: Readonly<Record<HandlerName, IFunction>>;
  /** The plans as API Gateway usage plans, and the tenants' API Gateway API keys' namespace. */
  readonly usagePlans: TenantUsagePlans;
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
  /** The CloudWatch namespace of the service's own metrics. */
  readonly metricsNamespace: string;
  /** The alarms and the dashboard; undefined with `monitoring: false`. */
  readonly monitoring?: ServiceMonitoring;
  /** Where audit records are published, how long they are kept, and the sweeper that finishes interrupted deliveries. */
  readonly auditTrail: AuditTrail;
  /** Keys' expiry warnings: the window, their queue and the function that writes them. */
  readonly expiryWarnings: ExpiryWarnings;

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
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const tracing = props.tracing ?? false;
    validateProps({
      keyPrefix,
      stageName: this.stageName,
      throttlingRateLimit,
      throttlingBurstLimit,
      metricsNamespace: this.metricsNamespace,
      authorizerReservedConcurrency: props.authorizerReservedConcurrency,
    });

    this.keyTable = new KeyTable(this, 'KeyTable');
    this.table = this.keyTable.table;
    const tenantTable = new TenantTable(this, 'TenantTable');
    this.tenantTable = tenantTable.table;
    const { api, accessLogs } = serviceApi(this, {
      stageName: this.stageName,
      logRetention,
      throttlingRateLimit,
      throttlingBurstLimit,
      cloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
      tracing,
      methodThrottles: methodThrottles(props.publicRevocationThrottle),
    });
    this.api = api;
    this.usagePlans = new TenantUsagePlans(this, 'UsagePlans', {
      // Checked whole here too: a declaration built in code gets the messages a file does.
      plans: parsePlans(props.plans ?? DECLARED_PLANS),
      tenantTable,
      metricsNamespace: this.metricsNamespace,
      logRetention,
      tracing,
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
    this.cacheFlush = new AuthorizerCacheFlush(this, 'CacheFlush', { logRetention, tracing });
    this.expiryWarnings = new ExpiryWarnings(this, 'ExpiryWarnings', {
      keyTable: this.keyTable,
      schedules: this.cacheFlush,
      warning: props.expiryWarning,
      logRetention,
      tracing,
    });
    this.auditTrail = new AuditTrail(this, 'AuditTrail', {
      keyTable: this.keyTable,
      tenantTable,
      retention: props.auditRetention,
      eventBus: props.eventBus,
      eventSource: props.eventSource,
      logRetention,
      tracing,
    });

    const authorizerFunction = serviceFunction(this, 'Authorizer', {
      entry: AUTHORIZER_ENTRY,
      timeout: AUTHORIZER_TIMEOUT,
      // Every authorized request waits on it: more memory means more CPU and faster cold starts.
      memorySize: 512,
      logRetention,
      tracing,
      reservedConcurrentExecutions: props.authorizerReservedConcurrency,
      // Lambda reads the stack of every refusal: mapping it would make the first one cost 100 ms.
      sourceMapsAtRuntime: false,
    });
    // Each function's grants, with the settings that go with them: the construct's own way of giving them.
    // The delivery's, the sweeper's and the reconciler's own are given by the constructs that make them.
    const grantsTo = (fn: LambdaFunction): Omit<FunctionGrants, 'deliverAudit' | 'reconcileStages'> => ({
      keyTable: (access) => this.keyTable.grantAccess(fn, access),
      verifyKeys: () => {
        this.keyTable.grantVerify(fn);
        fn.addEnvironment(ENV.metricsNamespace, this.metricsNamespace);
      },
      tenantTable: (actions) => tenantTable.grantAccess(fn, actions),
      issueKeys: () => fn.addEnvironment(ENV.keyPrefix, keyPrefix),
      publishAudit: () => this.auditTrail.grantPublish(fn),
      flushNow: () => this.cacheFlush.grantFlushNow(fn),
      scheduleFlush: () => this.cacheFlush.grantScheduleFlush(fn),
      scheduleExpiryWarnings: () => this.expiryWarnings.grantScheduleWarnings(fn),
      usagePlans: (operations) => this.usagePlans.grantOperations(fn, operations),
      usageIdentifier: () => this.usagePlans.grantUsageIdentifier(fn),
      verifyConsoleUsers: () => this.consoleSignIn.bindVerifier(fn),
      serveConsole: () => {
        this.consoleSignIn.bindPage(fn);
        this.expiryWarnings.bindWindow(fn);
      },
    });
    ROUTELESS_GRANTS.authorizer(grantsTo(authorizerFunction));
    this.authorizerFunction = authorizerFunction;
    this.authorizerInvokeRole = new Role(this, 'AuthorizerInvokeRole', {
      description: 'Assumed by API Gateway to invoke the x-api-key authorizer of every API the service protects.',
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
    });
    // The function itself, not its versions: API Gateway invokes the ARN the authorizer names.
    this.authorizerInvokeRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [authorizerFunction.functionArn] }),
    );

    const consoleAuthorizerFunction = serviceFunction(this, 'ConsoleAuthorizer', {
      entry: JWT_AUTHORIZER_ENTRY,
      timeout: AUTHORIZER_TIMEOUT,
      memorySize: 512,
      logRetention,
      tracing,
    });
    ROUTELESS_GRANTS.jwtAuthorizer(grantsTo(consoleAuthorizerFunction));
    this.consoleAuthorizerFunction = consoleAuthorizerFunction;
    this.consoleAuthorizer = new RequestAuthorizer(this, 'ConsoleUserAuthorizer', {
      handler: consoleAuthorizerFunction,
      identitySources: [IdentitySource.header('Authorization')],
      // Nothing cached: API Gateway cannot tie a cached answer to the token's expiry, so it could outlive the token.
      resultsCacheTtl: Duration.seconds(0),
    });

    const handlers = {} as Record<HandlerName, IFunction>;
    for (const [name, definition] of Object.entries(HANDLERS) as [HandlerName, (typeof HANDLERS)[HandlerName]][]) {
      const settings = { timeout: HANDLER_TIMEOUT, memorySize: 256, logRetention, tracing };
      const fn = definition.servesConsole
        ? consoleFunction(this, pascalCase(name), settings)
        : serviceFunction(this, pascalCase(name), { entry: definition.entry, ...settings });
      grantHandler(definition, grantsTo(fn));
      handlers[name] = fn;
    }
    this.handlers = handlers;
    this.addRoutes();
    if (props.monitoring !== false) {
      this.monitoring = new ServiceMonitoring(this, 'Monitoring', {
        ...props.monitoring,
        service: this,
        stage: this.api.deploymentStage,
        accessLogs,
        workers: {
          ...handlers,
          flusher: this.cacheFlush.flusherFunction,
          expiryWarner: this.expiryWarnings.warnerFunction,
          auditDelivery: this.auditTrail.deliveryFunction,
          usagePlanReconciler: this.usagePlans.reconcilerFunction,
        },
        authorizers: { authorizer: authorizerFunction, consoleAuthorizer: consoleAuthorizerFunction },
        tables: {
          keyTable: { table: this.table, indexes: [KEY_TABLE.byTenantIndex.name] },
          tenantTable: { table: this.tenantTable, indexes: [] },
        },
        deadLetterQueue: this.cacheFlush.deadLetterQueue,
        auditDelivery: { fn: this.auditTrail.deliveryFunction, deadLetterQueue: this.auditTrail.deliveryDeadLetterQueue },
      });
    }
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

  /**
   * One of the service's own metrics (docs/operations.md), in its namespace with its `service` dimension.
   *
   * @default - sum over 5 minutes
   */
  metric(metricName: string, props: MetricOptions = {}): Metric {
    return new Metric({
      namespace: this.metricsNamespace,
      metricName,
      dimensionsMap: { service: METRICS_SERVICE },
      statistic: 'Sum',
      ...props,
    }).attachTo(this);
  }

  /** Verifications with this outcome, by the authorizer or (`verifier: 'Verify'`) POST /verify. @default - sum over 5 minutes */
  metricOutcome(outcome: MeasuredOutcome, props: VerificationMetricOptions = {}): Metric {
    const { verifier = 'Authorizer', ...options } = props;
    return this.metric(outcomeMetricName(verifier, outcome), options);
  }

  metricAllowed(props?: VerificationMetricOptions): Metric {
    return this.metricOutcome('valid', props);
  }

  metricMissing(props?: VerificationMetricOptions): Metric {
    return this.metricOutcome('missing', props);
  }

  metricMalformed(props?: VerificationMetricOptions): Metric {
    return this.metricOutcome('malformed', props);
  }

  metricUnknown(props?: VerificationMetricOptions): Metric {
    return this.metricOutcome('unknown', props);
  }

  metricDisabled(props?: VerificationMetricOptions): Metric {
    return this.metricOutcome('disabled', props);
  }

  metricExpired(props?: VerificationMetricOptions): Metric {
    return this.metricOutcome('expired', props);
  }

  metricStoreError(props?: VerificationMetricOptions): Metric {
    return this.metricOutcome('storeError', props);
  }

  /** Milliseconds from the start of a verification that read the table to its outcome. @default - average over 5 minutes */
  metricLookupLatency(props: VerificationMetricOptions = {}): Metric {
    const { verifier = 'Authorizer', ...options } = props;
    return this.metric(lookupLatencyMetricName(verifier), { statistic: 'Average', ...options });
  }

  /** Registered stages the usage plan reconciler found missing from a usage plan, per run. @default - maximum over 5 minutes */
  metricUnlinkedStages(props: MetricOptions = {}): Metric {
    return this.metric(UNLINKED_STAGES_METRIC, { statistic: 'Maximum', ...props });
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
          else if (route.handler === 'openApi') acknowledgeOpenMethod(method);
          else acknowledgePublicRevocationMethod(method, route);
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
  metricsNamespace: string;
  authorizerReservedConcurrency?: number;
}): void {
  const { keyPrefix, stageName, throttlingRateLimit: rate, throttlingBurstLimit: burst } = props;
  const { metricsNamespace: namespace, authorizerReservedConcurrency: concurrency } = props;
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
  // CloudWatch's rule for a namespace ("Namespaces", Amazon CloudWatch User Guide); AWS/ is for AWS's own.
  if (!Token.isUnresolved(namespace) && !(/^[A-Za-z0-9.\-_/#: ]{1,255}$/.test(namespace) && !namespace.startsWith('AWS/'))) {
    throw new Error(
      `ApiKeyService: metricsNamespace "${namespace}" is not valid: use 1-255 letters, digits or . - _ / # : and spaces, not starting with "AWS/"`,
    );
  }
  if (concurrency !== undefined && !Token.isUnresolved(concurrency) && !(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new Error(`ApiKeyService: authorizerReservedConcurrency must be a positive whole number, got ${concurrency}`);
  }
}

/**
 * Each route's own throttle (the route table's, or the construct's for POST /revoke),
 * by API Gateway's method path: `/revoke/POST`.
 */
function methodThrottles(
  publicRevocation: ApiKeyServiceProps['publicRevocationThrottle'],
): Record<string, { rateLimit: number; burstLimit: number }> {
  const throttles: Record<string, { rateLimit: number; burstLimit: number }> = {};
  for (const route of ROUTES) {
    if (!route.throttle) continue;
    const throttle = route.handler === 'revokeKeyBySecret' && publicRevocation ? publicRevocation : route.throttle;
    const { rateLimit, burstLimit } = throttle;
    if (!Token.isUnresolved(rateLimit) && !(Number.isFinite(rateLimit) && rateLimit >= 0)) {
      throw new Error(
        `ApiKeyService: the throttle of ${route.method} ${route.path} must allow 0 or more requests per second, got ${rateLimit}`,
      );
    }
    if (!Token.isUnresolved(burstLimit) && !(Number.isInteger(burstLimit) && burstLimit >= 0)) {
      throw new Error(
        `ApiKeyService: the burst of ${route.method} ${route.path} must be a whole number, 0 or more, got ${burstLimit}`,
      );
    }
    throttles[`${route.path}/${route.method}`] = { rateLimit, burstLimit };
  }
  return throttles;
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
