import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token, TokenComparison, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestAuthorizer,
  ResponseType,
  RestApi,
  type MethodOptions,
} from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, ProjectionType, Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, PolicyDocument, PolicyStatement, Role, ServicePrincipal, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  type IFunction,
} from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleGroup, type IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import type { KeyRecord } from '../src/domain/api-key';
import { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN, isValidKeyPrefix } from '../src/domain/key-format';
import { GATEWAY_RESPONSES, PROBLEM_HEADERS } from '../src/problem';
import { AUTHORIZER, HANDLERS, ROUTES, type HandlerDefinition, type HandlerName, type TableAction } from '../src/routes';
import { KEY_TABLE } from '../src/store/table-schema';

/** The repository root: handler entries in the route table are relative to it. */
const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Newest Node.js runtime aws-cdk-lib offers that Lambda has not deprecated. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/**
 * The authorizer makes one DynamoDB read, bounded by DYNAMODB_CALL_LIMITS at about
 * 3 × 1.5 s plus back-off; anything slower is failing, and fails closed.
 */
export const AUTHORIZER_TIMEOUT = Duration.seconds(5);

/**
 * A handler makes at most four DynamoDB calls (rotate: Query, PutItem, UpdateItem,
 * and DeleteItem if it must withdraw), each bounded like the authorizer's, plus a
 * best-effort cache flush and flush schedule. 20 s covers that and still ends well
 * before API Gateway's 29 s integration timeout, so the client gets the handler's
 * own problem+json.
 */
export const HANDLER_TIMEOUT = Duration.seconds(20);

export const API_KEY_HEADER = 'x-api-key';

/** The service principal of EventBridge Scheduler, which runs the scheduled cache flushes. */
export const SCHEDULER_SERVICE_PRINCIPAL = 'scheduler.amazonaws.com';

/** Powertools' level; INFO never includes events or headers (the handlers log names and ids only). */
const LOG_LEVEL = 'INFO';

const LAST_USED_ATTRIBUTE = 'lastUsedAt' satisfies keyof KeyRecord;

/**
 * The authorizer's one write is KeyStore.recordUse: `SET lastUsedAt` on an existing
 * item, conditioned on keyHash and lastUsedAt, with ReturnValues NONE. DynamoDB
 * fine-grained access control ("Using IAM policy conditions for fine-grained access
 * control", DynamoDB Developer Guide) pins UpdateItem to exactly that: every
 * attribute the request names must be the key or lastUsedAt (the Null check stops
 * an empty set passing ForAllValues), and it may not ask for the item back.
 */
export const RECORD_USE_CONDITIONS = {
  'ForAllValues:StringEquals': { 'dynamodb:Attributes': [KEY_TABLE.partitionKey, LAST_USED_ATTRIBUTE] },
  Null: { 'dynamodb:Attributes': 'false' },
  StringEquals: { 'dynamodb:ReturnValues': 'NONE' },
};

/**
 * API Gateway's standard fields, plus who called: the key (principalId) and tenant
 * on key routes, the IAM user on admin routes. Never the key itself.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    ip: AccessLogField.contextIdentitySourceIp(),
    caller: AccessLogField.contextIdentityCaller(),
    user: AccessLogField.contextIdentityUser(),
    userArn: AccessLogField.contextIdentityUserArn(),
    requestTime: AccessLogField.contextRequestTime(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    protocol: AccessLogField.contextProtocol(),
    responseLength: AccessLogField.contextResponseLength(),
    keyId: AccessLogField.contextAuthorizerPrincipalId(),
    tenantId: AccessLogField.contextAuthorizer('tenantId'),
    errorType: AccessLogField.contextErrorResponseType(),
    authorizerError: AccessLogField.contextAuthorizerError(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
  }),
);

export interface ApiKeyServiceProps {
  /**
   * Prefix of newly issued keys, e.g. `zk_live`. It must match
   * `^[a-z][a-z0-9]{0,9}(_[a-z0-9]{1,10})?$` and be a literal (it is checked at
   * synth time). Keys issued under an earlier prefix keep working.
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
}

/**
 * The API key service: the key table, one Lambda per handler, the x-api-key
 * REQUEST authorizer, the RestApi with every route of the route table, and the
 * EventBridge Scheduler group and role that flush the stage's authorizer cache
 * when a key expires.
 *
 * Admin routes (`/tenants/...`) need SigV4 (`AuthorizationType.IAM`); the
 * self-service and demo routes need a valid key. Other RestApis in the same
 * account and Region can put their routes behind the same authorizer with
 * {@link ApiKeyService.createAuthorizer}.
 */
export class ApiKeyService extends Construct {
  /** The key table (partition key `keyHash`, GSI `byTenant`). */
  readonly table: ITable;
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
  /**
   * The EventBridge Scheduler group of the one-time schedules that flush the stage's
   * authorizer cache when a key expires or a rotation's grace period ends: at most
   * one per key, moved when the key's expiry changes, deleted once it has run.
   */
  readonly flushScheduleGroup: IScheduleGroup;
  /** The role those schedules run with: it may only flush the stage's authorizer cache. */
  readonly flushScheduleRole: IRole;

  private readonly logRetention: RetentionDays;

  constructor(scope: Construct, id: string, props: ApiKeyServiceProps = {}) {
    super(scope, id);
    const keyPrefix = props.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const stageName = props.stageName ?? 'v1';
    this.authorizerCacheTtl = props.authorizerCacheTtl ?? Duration.minutes(5);
    this.logRetention = props.logRetention ?? RetentionDays.ONE_YEAR;
    validateProps(keyPrefix, stageName, this.authorizerCacheTtl, props);

    const table = this.createTable();
    this.table = table;
    this.api = this.createApi(stageName, props);
    this.flushScheduleGroup = new ScheduleGroup(this, 'FlushSchedules', {
      scheduleGroupName: flushScheduleGroupName(this),
      // Pending schedules go with the group: the cache they would flush goes with the API.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // It refers to the group and the RestApi only (not its methods or stage), so the functions can refer to it.
    this.flushScheduleRole = this.createFlushScheduleRole(stageName);

    this.authorizerFunction = this.createFunction('Authorizer', AUTHORIZER, {
      timeout: AUTHORIZER_TIMEOUT,
      // Every authorized request waits on it: more memory means more CPU and faster cold starts.
      memorySize: 512,
      // REST_API_ID tells the service's own API (route scopes) from a borrowing one (stage-wide).
      environment: { [ENV.tableName]: table.tableName, [ENV.restApiId]: this.api.restApiId },
      conditions: { 'dynamodb:UpdateItem': RECORD_USE_CONDITIONS },
    });
    this.authorizer = new RequestAuthorizer(this, 'ApiKeyAuthorizer', {
      handler: this.authorizerFunction,
      identitySources: [IdentitySource.header(API_KEY_HEADER)],
      resultsCacheTtl: this.authorizerCacheTtl,
    });

    const handlers = {} as Record<HandlerName, IFunction>;
    for (const [name, definition] of Object.entries(HANDLERS) as [HandlerName, HandlerDefinition][]) {
      const { flushesAuthorizerCache: flushes, schedulesAuthorizerCacheFlush: schedules } = definition;
      const statements: PolicyStatement[] = [];
      if (flushes) statements.push(this.flushCacheStatement(stageName));
      if (schedules) statements.push(...this.scheduleFlushStatements());
      const fn = this.createFunction(pascalCase(name), definition, {
        timeout: HANDLER_TIMEOUT,
        memorySize: 256,
        environment: {
          [ENV.tableName]: table.tableName,
          // Every handler builds the same KeyService, which reads the prefix.
          [ENV.keyPrefix]: keyPrefix,
          // Literal stage name: the Stage resource depends on these functions.
          // A scheduled flush names the API and stage in its input, so schedulers need them too.
          ...(flushes || schedules ? { [ENV.restApiId]: this.api.restApiId, [ENV.stageName]: stageName } : {}),
          ...(schedules
            ? { [ENV.flushScheduleGroup]: this.flushScheduleGroup.scheduleGroupName, [ENV.flushScheduleRoleArn]: this.flushScheduleRole.roleArn }
            : {}),
        },
        statements,
      });
      if (schedules) this.acknowledgeScheduleWildcard(fn);
      handlers[name] = fn;
    }
    this.handlers = handlers;
    this.addRoutes();
    this.acknowledgeNagFindings(props.webAclArn !== undefined);
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
      throw new Error(`ApiKeyService.createAuthorizer: ${there.node.path} must be in the same account and Region as ${here.node.path}`);
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

  /** Lets `grantee` read key records: GetItem by hash on the table, Query on `byTenant`. No writes. */
  grantReadKeys(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] }).combine(
      Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.indexArn()] }),
    );
  }

  private createTable(): Table {
    const { partitionKey, ttlAttribute, byTenantIndex } = KEY_TABLE;
    // Table (AWS::DynamoDB::Table) rather than TableV2: one Region, no replicas.
    const table = new Table(this, 'KeyTable', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: byTenantIndex.name,
      partitionKey: { name: byTenantIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: byTenantIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    return table;
  }

  private createApi(stageName: string, props: ApiKeyServiceProps): RestApi {
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: this.logRetention });
    const api = new RestApi(this, 'Api', {
      description: 'API key service: admin key management (SigV4), self-service key management and /whoami (x-api-key).',
      cloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
      deployOptions: {
        stageName,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
        // Errors only, and never request or response bodies and headers: they carry keys.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
      },
    });
    // A reusable construct leaves stack outputs to its stack (ApiKeyServiceStack adds ApiUrl).
    api.node.tryRemoveChild('Endpoint');
    if (props.webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: api.deploymentStage.stageArn, webAclArn: props.webAclArn });
    }
    for (const { type, body, headers } of GATEWAY_RESPONSES) {
      api.addGatewayResponse(type, {
        type: ResponseType.of(type),
        statusCode: String(body.status),
        // Header values are mapping expressions: literals need single quotes.
        responseHeaders: quoteAll({ ...PROBLEM_HEADERS, ...headers }),
        templates: { 'application/json': JSON.stringify(body) },
      });
    }
    return api;
  }

  private createFunction(
    id: string,
    definition: HandlerDefinition,
    options: {
      timeout: Duration;
      memorySize: number;
      environment: Record<string, string>;
      conditions?: Partial<Record<TableAction, Record<string, unknown>>>;
      /** Permissions beyond the table's. */
      statements?: PolicyStatement[];
    },
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: this.logRetention });
    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const role = new Role(this, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    const fn = new NodejsFunction(this, id, {
      entry: path.join(PROJECT_ROOT, definition.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      timeout: options.timeout,
      memorySize: options.memorySize,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      // Lambda drops anything below INFO even if the Powertools level is raised by hand.
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      // Source maps turn minified stack traces in error logs back into TypeScript lines.
      environment: { ...options.environment, POWERTOOLS_LOG_LEVEL: LOG_LEVEL, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        // The SDK is bundled, so the deployed code runs the versions that were tested.
        bundleAwsSDK: true,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        logLevel: LogLevel.WARNING,
      },
    });

    for (const statement of [...this.tableStatements(definition, options.conditions ?? {}), ...(options.statements ?? [])]) {
      fn.addToRolePolicy(statement);
    }
    return fn;
  }

  /**
   * FlushStageAuthorizersCache is `DELETE /restapis/{id}/stages/{stage}/cache/authorizers`,
   * which IAM authorizes as `apigateway:DELETE` on that path: this stage's cache, nothing else.
   */
  private flushCacheStatement(stageName: string): PolicyStatement {
    const { partition, region } = Stack.of(this);
    return new PolicyStatement({
      actions: ['apigateway:DELETE'],
      resources: [`arn:${partition}:apigateway:${region}::/restapis/${this.api.restApiId}/stages/${stageName}/cache/authorizers`],
    });
  }

  /**
   * The role of the scheduled flushes. EventBridge Scheduler's universal target
   * (`arn:aws:scheduler:::aws-sdk:apigateway:flushStageAuthorizersCache`) calls the API
   * with this role, so the role needs the API's own permission. Only Scheduler may
   * assume it, and only for schedules of this account and this group ("Confused
   * deputy prevention", EventBridge Scheduler User Guide: aws:SourceArn is the
   * schedule group's ARN, never a schedule's).
   */
  private createFlushScheduleRole(stageName: string): Role {
    return new Role(this, 'FlushScheduleRole', {
      description: "Assumed by EventBridge Scheduler to flush the API stage's authorizer cache when a key expires.",
      assumedBy: new ServicePrincipal(SCHEDULER_SERVICE_PRINCIPAL).withConditions({
        StringEquals: {
          'aws:SourceAccount': Stack.of(this).account,
          'aws:SourceArn': this.flushScheduleGroup.scheduleGroupArn,
        },
      }),
      // Inline, so the permission exists as soon as the role does.
      inlinePolicies: { FlushAuthorizerCache: new PolicyDocument({ statements: [this.flushCacheStatement(stageName)] }) },
    });
  }

  /**
   * What a handler needs to schedule a flush: create schedules in the flush group
   * (one per key, named at run time), update one that exists to move it to the
   * key's new expiry, and pass the flush role to Scheduler and to nothing else
   * (CreateSchedule and UpdateSchedule both pass it: "Actions, resources, and
   * condition keys for Amazon EventBridge Scheduler", Service Authorization Reference).
   */
  private scheduleFlushStatements(): PolicyStatement[] {
    return [
      new PolicyStatement({ actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule'], resources: [this.flushScheduleArns()] }),
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.flushScheduleRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER_SERVICE_PRINCIPAL } },
      }),
    ];
  }

  /** Every schedule of the flush group: `arn:{partition}:scheduler:{region}:{account}:schedule/{group}/*`. */
  private flushScheduleArns(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.flushScheduleGroup.scheduleGroupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /** cdk-nag IAM5 for exactly the flush group's schedules, on the role of the function it concerns. */
  private acknowledgeScheduleWildcard(fn: NodejsFunction): void {
    if (!fn.role) throw new Error(`${fn.node.path} has no role`);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.flushScheduleGroup.scheduleGroupName}/*]`,
      reason:
        "Flush schedules are created and moved at run time, one per key (flush-{keyId}), so their names cannot be listed in advance; the wildcard covers only this service's own schedule group.",
    });
  }

  /** Exactly the definition's actions: table actions on the table, index actions on `byTenant`. */
  private tableStatements(
    definition: HandlerDefinition,
    conditions: Partial<Record<TableAction, Record<string, unknown>>>,
  ): PolicyStatement[] {
    const statements: PolicyStatement[] = [];
    const unconditional = definition.tableActions.filter((action) => conditions[action] === undefined);
    if (unconditional.length > 0) {
      statements.push(new PolicyStatement({ actions: unconditional, resources: [this.table.tableArn] }));
    }
    for (const action of definition.tableActions.filter((candidate) => conditions[candidate] !== undefined)) {
      statements.push(new PolicyStatement({ actions: [action], resources: [this.table.tableArn], conditions: conditions[action] }));
    }
    if (definition.indexActions.length > 0) {
      statements.push(new PolicyStatement({ actions: definition.indexActions, resources: [this.indexArn()] }));
    }
    return statements;
  }

  private indexArn(): string {
    return `${this.table.tableArn}/index/${KEY_TABLE.byTenantIndex.name}`;
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
      const options: MethodOptions =
        route.authorization === 'iam'
          ? { authorizationType: AuthorizationType.IAM }
          : { authorizationType: AuthorizationType.CUSTOM, authorizer: this.authorizer };
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, options);
    }
  }

  /** cdk-nag findings that are decisions, not oversights; each names its rule and why. */
  private acknowledgeNagFindings(hasWebAcl: boolean): void {
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Bodies and parameters are validated by zod in the handlers, which answer 400/413/415 as problem+json with per-field errors; an API Gateway validator would answer differently.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'No Cognito users here: admin routes use IAM (SigV4) and key routes use the x-api-key Lambda REQUEST authorizer.',
    });
    if (!hasWebAcl) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is opt-in (webAclArn) because it bills per request: malformed keys are refused by checksum before any read, and the stage is throttled.',
      });
    }
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role uses the AWS managed policy AWS documents for it; it only allows writing to CloudWatch Logs.",
      });
    }
  }
}

function validateProps(keyPrefix: string, stageName: string, cacheTtl: Duration, props: ApiKeyServiceProps): void {
  if (Token.isUnresolved(keyPrefix) || !isValidKeyPrefix(keyPrefix)) {
    throw new Error(`ApiKeyService: keyPrefix "${keyPrefix}" is not valid: it must be a literal matching ${KEY_PREFIX_PATTERN.source}, e.g. "ak" or "zk_live"`);
  }
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(stageName)) {
    throw new Error(`ApiKeyService: stageName "${stageName}" is not valid: use 1-128 letters, digits, "-" or "_"`);
  }
  const ttlSeconds = cacheTtl.toSeconds();
  if (!(ttlSeconds >= 0 && ttlSeconds <= 3600)) {
    throw new Error(`ApiKeyService: authorizerCacheTtl must be between 0 and 3600 seconds, got ${ttlSeconds}`);
  }
  const { throttlingRateLimit: rate, throttlingBurstLimit: burst } = props;
  if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0)) {
    throw new Error(`ApiKeyService: throttlingRateLimit must be 0 or more requests per second, got ${rate}`);
  }
  if (burst !== undefined && !(Number.isInteger(burst) && burst >= 0)) {
    throw new Error(`ApiKeyService: throttlingBurstLimit must be a whole number of requests, 0 or more, got ${burst}`);
  }
}

/**
 * A literal name (the handlers' IAM resource and cdk-nag acknowledgment spell it out),
 * unique per account and Region like the stack's own name: the stack name, then a
 * hash of the construct's path, e.g. `ApiKeyService-flush-1a2b3c4d`. At most 64
 * characters, as Scheduler allows.
 */
function flushScheduleGroupName(service: Construct): string {
  const stackName = Stack.of(service).stackName;
  const hash = createHash('sha256').update(service.node.path).digest('hex').slice(0, 8);
  const suffix = `-flush-${hash}`;
  const prefix = Token.isUnresolved(stackName) ? 'ApiKeyService' : stackName.slice(0, 64 - suffix.length);
  return `${prefix}${suffix}`;
}

/** True only when both are resolved and different: unresolved tokens may well match at deploy time. */
function knownToDiffer(a: string, b: string): boolean {
  return Token.compareStrings(a, b) === TokenComparison.DIFFERENT;
}

function quoteAll(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`]));
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
