import { CfnParameter, CfnResource, Duration, Fn, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ApiKeyService, type ApiKeyServiceProps } from '../../lib/api-key-service';
import { ApiKeyServiceStack } from '../../lib/api-key-service-stack';
import { ENV } from '../../src/config';
import { DECLARED_PLANS } from '../../src/declared-plans';
import { GATEWAY_RESPONSES, gatewayResponse, PROBLEM_CONTENT_TYPE } from '../../src/problem';
import { compileMethods, decodeMethods, SERVICE_PROTECTED_METHODS } from '../../src/protected-methods';
import {
  HANDLERS,
  type HandlerDefinition,
  type HandlerName,
  ROUTES,
  USAGE_PLAN_RECONCILER_TENANT_TABLE_ACTIONS,
} from '../../src/routes';
import { KEY_TABLE, TENANT_TABLE, WAITING_RECORDS_FILTER } from '../../src/store/table-schema';
import { arnOf, logicalId, type Permission, permissionsOf, SYNTH_TIMEOUT_MS, sortPermissions, testApp } from './helpers';

const HANDLER_NAMES = Object.keys(HANDLERS) as HandlerName[];
/** Handlers that set expiry times, and so schedule a flush of the authorizer cache for each. */
const SCHEDULING_HANDLERS = HANDLER_NAMES.filter((name) => HANDLERS[name].invalidation.includes('flushAt'));
const NON_SCHEDULING_HANDLERS = HANDLER_NAMES.filter((name) => !HANDLERS[name].invalidation.includes('flushAt'));
const CUSTOM_PROPS = {
  keyPrefix: 'zk_live',
  authorizerCacheTtl: Duration.seconds(0),
  stageName: 'prod',
  throttlingRateLimit: 10,
  throttlingBurstLimit: 20,
  logRetention: RetentionDays.ONE_MONTH,
  apiGatewayCloudWatchRole: false,
  webAclArn: 'arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/keys/abc',
  auditRetention: Duration.days(30),
  eventSource: 'acme.keys',
  expiryWarning: Duration.days(3),
  publicRevocationThrottle: { rateLimit: 2, burstLimit: 4 },
} satisfies ApiKeyServiceProps;

/** What a synthesized stack looks like, with the logical ids tests refer to. */
interface Synthesized {
  template: Template;
  service: ApiKeyService;
  tableId: string;
  tenantTableId: string;
  apiId: string;
  authorizerFunctionId: string;
  functionIds: Record<HandlerName, string>;
  flushGroupId: string;
  flushRoleId: string;
  flushQueueId: string;
  flushDeadLetterQueueId: string;
  flusherId: string;
  expiryWarningQueueId: string;
  warnerId: string;
  /** The usage plan of each plan, by plan name. */
  usagePlanIds: Record<string, string>;
  sweeperId: string;
  deliveryId: string;
  deliveryDeadLetterQueueId: string;
}

function describeStack(stack: ApiKeyServiceStack): Synthesized {
  const { service } = stack;
  return {
    template: Template.fromStack(stack),
    service,
    tableId: logicalId(service.table),
    tenantTableId: logicalId(service.tenantTable),
    apiId: logicalId(service.api),
    authorizerFunctionId: logicalId(service.authorizerFunction),
    functionIds: Object.fromEntries(HANDLER_NAMES.map((name) => [name, logicalId(service.handlers[name])])) as Record<
      HandlerName,
      string
    >,
    flushGroupId: logicalId(service.cacheFlush.scheduleGroup),
    flushRoleId: logicalId(service.cacheFlush.scheduleRole),
    flushQueueId: logicalId(service.cacheFlush.queue),
    flushDeadLetterQueueId: logicalId(service.cacheFlush.deadLetterQueue),
    flusherId: logicalId(service.cacheFlush.flusherFunction),
    expiryWarningQueueId: logicalId(service.expiryWarnings.queue),
    warnerId: logicalId(service.expiryWarnings.warnerFunction),
    usagePlanIds: Object.fromEntries(
      Object.entries(service.usagePlans.usagePlans).map(([name, plan]) => [name, logicalId(plan)]),
    ),
    sweeperId: logicalId(service.auditTrail.sweeperFunction),
    deliveryId: logicalId(service.auditTrail.deliveryFunction),
    deliveryDeadLetterQueueId: logicalId(service.auditTrail.deliveryDeadLetterQueue),
  };
}

let defaults: Synthesized;
let custom: Synthesized;

beforeAll(() => {
  const app = testApp();
  const defaultStack = new ApiKeyServiceStack(app, 'Defaults');
  const customStack = new ApiKeyServiceStack(app, 'Custom', { service: CUSTOM_PROPS });
  defaults = describeStack(defaultStack);
  custom = describeStack(customStack);
}, SYNTH_TIMEOUT_MS);

function userPoolId(synthesized: Synthesized): string {
  return logicalId(synthesized.service.consoleSignIn.userPool!);
}

function userPoolClientId(synthesized: Synthesized): string {
  return logicalId(synthesized.service.consoleSignIn.userPoolClient!);
}

function functionProperties(synthesized: Synthesized, id: string): Record<string, any> {
  return synthesized.template.findResources('AWS::Lambda::Function')[id].Properties;
}

function flushNowSettings(synthesized: Synthesized): Record<string, unknown> {
  return {
    [ENV.flushTargetsPath]: synthesized.service.cacheFlush.targetsPath,
    [ENV.flushQueueUrl]: { Ref: synthesized.flushQueueId },
  };
}

function usagePlanSettings(synthesized: Synthesized): Record<string, unknown> {
  return {
    [ENV.usageKeyNamespace]: synthesized.service.usagePlans.namespace,
    [ENV.usagePlans]: expect.anything(),
  };
}

/** What a function that records changes is told: the default bus, the source, the retention in seconds. */
function auditSettings(source: string, days: number): Record<string, unknown> {
  return {
    [ENV.eventBusName]: 'default',
    [ENV.eventSource]: source,
    [ENV.auditRetentionSeconds]: String(days * 24 * 60 * 60),
  };
}

function roleIdOf(synthesized: Synthesized, functionId: string): string {
  return functionProperties(synthesized, functionId).Role['Fn::GetAtt'][0];
}

function logGroupIdOf(synthesized: Synthesized, functionId: string): string {
  return functionProperties(synthesized, functionId).LoggingConfig.LogGroup.Ref;
}

/** Writing to its own log group: every function's one permission beyond its grants. */
function logWrites(functionId: string): Permission[] {
  return ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
    action,
    resource: arnOf(logGroupIdOf(defaults, functionId)),
  }));
}

/** The service stage's logical id. */
function stageIdOf(synthesized: Synthesized): string {
  return logicalId(synthesized.service.api.deploymentStage);
}

/** An API Gateway control-plane resource, as the template renders its ARN: `path` starts with `::/`. */
function apiGatewayArn(...path: unknown[]): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, ...path]] };
}

/** A Parameter Store path, as the template renders the ARN that GetParametersByPath is authorized against. */
function parameterPathArn(path: string): unknown {
  return {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:parameter${path}`],
    ],
  };
}

/** Reading the stages registered for the plans, and reading and changing the stages of each usage plan. */
function stageLinkPermissions(synthesized: Synthesized): Permission[] {
  return [
    { action: 'ssm:GetParametersByPath', resource: parameterPathArn(synthesized.service.usagePlans.stagesPath) },
    ...Object.values(synthesized.usagePlanIds).flatMap((id) => [
      { action: 'apigateway:GET', resource: apiGatewayArn('::/usageplans/', { Ref: id }) },
      { action: 'apigateway:PATCH', resource: apiGatewayArn('::/usageplans/', { Ref: id }) },
    ]),
  ];
}

function tableProperties(id: string): Record<string, unknown> {
  return defaults.template.findResources('AWS::DynamoDB::Table')[id].Properties;
}

describe('the tables', () => {
  it('are two: keys, and what is kept per tenant', () => {
    defaults.template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });

  it('build the key table from KEY_TABLE: keyHash key, byTenant GSI projecting everything, a sparse pendingAudit GSI, TTL on ttl', () => {
    expect(tableProperties(defaults.tableId)).toMatchObject({
      KeySchema: [{ AttributeName: KEY_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: expect.arrayContaining([
        { AttributeName: KEY_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: KEY_TABLE.byTenantIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: KEY_TABLE.byTenantIndex.sortKey, AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: KEY_TABLE.byTenantIndex.name,
          KeySchema: [
            { AttributeName: KEY_TABLE.byTenantIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: KEY_TABLE.byTenantIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: KEY_TABLE.pendingAuditIndex.name,
          KeySchema: [{ AttributeName: KEY_TABLE.pendingAuditIndex.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: KEY_TABLE.ttlAttribute, Enabled: true },
    });
  });

  it('build the tenant table from TENANT_TABLE: tenantId and sk, TTL on ttl, the sparse index of waiting audit records', () => {
    const properties = tableProperties(defaults.tenantTableId);
    expect(properties).toMatchObject({
      KeySchema: [
        { AttributeName: TENANT_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TENANT_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: TENANT_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: TENANT_TABLE.sortKey, AttributeType: 'S' },
        { AttributeName: TENANT_TABLE.pendingAuditIndex.partitionKey, AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: TENANT_TABLE.pendingAuditIndex.name,
          KeySchema: [{ AttributeName: TENANT_TABLE.pendingAuditIndex.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: TENANT_TABLE.ttlAttribute, Enabled: true },
    });
  });

  it.each(['tableId', 'tenantTableId'] as const)(
    'stream new and old images, which carry the audit records to their delivery (%s)',
    (id) => {
      expect(tableProperties(defaults[id]).StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    },
  );

  it.each(['tableId', 'tenantTableId'] as const)(
    'bill on demand, have point-in-time recovery and deletion protection, and are retained (%s)',
    (id) => {
      expect(defaults.template.findResources('AWS::DynamoDB::Table')[defaults[id]]).toMatchObject({
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    },
  );
});

describe('the Lambda functions', () => {
  it("are one per handler plus the two authorizers, the flusher, the expiry warner, the audit delivery and sweeper, the usage plans' stage link and reconciler", () => {
    defaults.template.resourceCountIs('AWS::Lambda::Function', HANDLER_NAMES.length + 8);
  });

  it('run nodejs24.x on arm64, with an explicit handler export', () => {
    for (const properties of Object.values(defaults.template.findResources('AWS::Lambda::Function')).map((r) => r.Properties)) {
      expect(properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
  });

  it('time out within the DynamoDB call limits: the authorizer after one bounded call, handlers before API Gateway gives up', () => {
    // One call is at most 3 attempts of 0.5 s to connect and 1 s to answer: 4.5 s.
    expect(functionProperties(defaults, defaults.authorizerFunctionId).Timeout).toBe(5);
    // Rotation makes up to four calls (18 s); API Gateway's integration timeout is 29 s.
    for (const name of HANDLER_NAMES) {
      expect(functionProperties(defaults, defaults.functionIds[name]).Timeout).toBe(20);
    }
  });

  it('give the authorizer its table, usage key namespace and metrics namespace alone (each stage brings its declarations), nothing that enables debug logging, and no source maps at run time', () => {
    expect(functionProperties(defaults, defaults.authorizerFunctionId).Environment.Variables).toEqual({
      [ENV.tableName]: { Ref: defaults.tableId },
      [ENV.usageKeyNamespace]: defaults.service.usagePlans.namespace,
      [ENV.metricsNamespace]: 'ApiKeyService',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it.each(HANDLER_NAMES)(
    'give %s TABLE_NAME and TENANT_TABLE_NAME if it uses those tables, the metrics namespace if it verifies keys, KEY_PREFIX if it issues keys, the trail if it may deliver records, the flush registry and queue if it flushes, and the flush group, role and queues if it schedules',
    (name) => {
      const {
        verifiesKeys,
        tableActions,
        indexActions,
        tenantTableActions,
        issuesKeys,
        invalidation,
        servesConsole,
        usagePlans,
        deliversWaitingRecords,
        warnsOfExpiry,
      } = HANDLERS[name];
      const flushes = invalidation.includes('flushNow');
      const schedules = invalidation.includes('flushAt') || warnsOfExpiry;
      expect(functionProperties(defaults, defaults.functionIds[name]).Environment.Variables).toEqual({
        ...(verifiesKeys || tableActions.length + indexActions.length > 0 ? { [ENV.tableName]: { Ref: defaults.tableId } } : {}),
        ...(tenantTableActions.length > 0 ? { [ENV.tenantTableName]: { Ref: defaults.tenantTableId } } : {}),
        ...(verifiesKeys ? { [ENV.metricsNamespace]: 'ApiKeyService' } : {}),
        ...(issuesKeys ? { [ENV.keyPrefix]: 'ak' } : {}),
        ...(deliversWaitingRecords ? auditSettings('api-key-service', 400) : {}),
        ...(usagePlans.length > 0 ? usagePlanSettings(defaults) : {}),
        ...(flushes ? flushNowSettings(defaults) : {}),
        ...(schedules
          ? {
              [ENV.flushScheduleGroup]: defaults.service.cacheFlush.scheduleGroup.scheduleGroupName,
              [ENV.flushScheduleRoleArn]: arnOf(defaults.flushRoleId),
              [ENV.flushQueueArn]: arnOf(defaults.flushQueueId),
              [ENV.flushDeadLetterQueueArn]: arnOf(defaults.flushDeadLetterQueueId),
            }
          : {}),
        ...(warnsOfExpiry
          ? { [ENV.expiryWarningSeconds]: '604800', [ENV.expiryWarningQueueArn]: arnOf(defaults.expiryWarningQueueId) }
          : {}),
        ...(servesConsole
          ? {
              [ENV.expiryWarningSeconds]: '604800',
              [ENV.consoleAssetsDir]: 'console',
              [ENV.consoleIssuer]: { 'Fn::GetAtt': [userPoolId(defaults), 'ProviderURL'] },
              [ENV.consoleClientId]: { Ref: userPoolClientId(defaults) },
              [ENV.consoleScopes]: '',
              [ENV.consoleConnectSources]: expect.anything(),
              [ENV.consoleFrameAncestors]: "'none'",
            }
          : {}),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(functionProperties(custom, custom.functionIds[name]).Environment.Variables).toMatchObject({
        ...(issuesKeys ? { [ENV.keyPrefix]: 'zk_live' } : {}),
        ...(warnsOfExpiry || servesConsole ? { [ENV.expiryWarningSeconds]: '259200' } : {}),
      });
    },
  );

  it.each(['sweeperId', 'deliveryId'] as const)(
    'give the audit %s both tables and the trail settings, and nothing else',
    (id) => {
      expect(functionProperties(defaults, defaults[id]).Environment.Variables).toEqual({
        [ENV.tableName]: { Ref: defaults.tableId },
        [ENV.tenantTableName]: { Ref: defaults.tenantTableId },
        ...auditSettings('api-key-service', 400),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(functionProperties(custom, custom[id]).Environment.Variables).toMatchObject(auditSettings('acme.keys', 30));
    },
  );

  it('give the flusher the registry and the queue, and nothing else', () => {
    expect(functionProperties(defaults, defaults.flusherId).Environment.Variables).toEqual({
      ...flushNowSettings(defaults),
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('log JSON to their own log group, which Lambda filters below INFO, kept for the configured retention', () => {
    for (const [synthesized, days] of [
      [defaults, 365],
      [custom, 30],
    ] as const) {
      for (const id of [synthesized.authorizerFunctionId, ...Object.values(synthesized.functionIds)]) {
        const logGroupId = logGroupIdOf(synthesized, id);
        expect(functionProperties(synthesized, id).LoggingConfig).toEqual({
          LogFormat: 'JSON',
          ApplicationLogLevel: 'INFO',
          SystemLogLevel: 'WARN',
          LogGroup: { Ref: logGroupId },
        });
        expect(synthesized.template.findResources('AWS::Logs::LogGroup')[logGroupId].Properties.RetentionInDays).toBe(days);
      }
    }
    const functionLogGroups = new Set(Object.values(defaults.functionIds).map((id) => logGroupIdOf(defaults, id)));
    expect(functionLogGroups.size).toBe(HANDLER_NAMES.length);
  });
});

describe('least privilege', () => {
  const tableArn = () => arnOf(defaults.tableId);
  const indexArn = () => ({ 'Fn::Join': ['', [arnOf(defaults.tableId), `/index/${KEY_TABLE.byTenantIndex.name}`]] });
  const flushArn = () => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':apigateway:',
        { Ref: 'AWS::Region' },
        '::/restapis/',
        { Ref: defaults.apiId },
        '/stages/v1/cache/authorizers',
      ],
    ],
  });
  /** What verifying keys takes, for the authorizer and POST /verify alike: any key read, only lastUsedAt written. */
  const verifyAccess = (): Permission[] => [
    { action: 'dynamodb:GetItem', resource: tableArn() },
    {
      action: 'dynamodb:UpdateItem',
      resource: tableArn(),
      condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [KEY_TABLE.partitionKey, 'lastUsedAt'] },
        Null: { 'dynamodb:Attributes': 'false' },
        StringEquals: { 'dynamodb:ReturnValues': 'NONE' },
      },
    },
  ];
  const dataAccess = (definition: HandlerDefinition): Permission[] => [
    ...(definition.verifiesKeys ? verifyAccess() : []),
    ...definition.tableActions.map((action) => ({ action, resource: tableArn() })),
    ...definition.indexActions.map((action) => ({ action, resource: indexArn() })),
    ...definition.tenantTableActions.map((action) => ({ action, resource: arnOf(defaults.tenantTableId) })),
  ];

  const flushing = (): Permission[] => [
    { action: 'apigateway:DELETE', resource: flushArn() },
    { action: 'ssm:GetParametersByPath', resource: parameterPathArn(defaults.service.cacheFlush.targetsPath) },
    { action: 'sqs:SendMessage', resource: arnOf(defaults.flushQueueId) },
  ];

  const apiGatewayArn = (path: string, planId?: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':apigateway:',
        { Ref: 'AWS::Region' },
        ...(planId ? ['::/usageplans/', { Ref: planId }, path] : [`::${path}`]),
      ],
    ],
  });
  const planIds = () => Object.values(defaults.usagePlanIds);
  /** The API Gateway calls of each usage-plan operation, on this service's usage plans and API keys only. */
  const usagePlanAccess = (operations: HandlerDefinition['usagePlans']): Permission[] => [
    ...(operations.includes('arrangeKeys')
      ? [
          { action: 'apigateway:GET', resource: apiGatewayArn('/apikeys') },
          { action: 'apigateway:POST', resource: apiGatewayArn('/apikeys') },
          ...planIds().map((id) => ({ action: 'apigateway:POST', resource: apiGatewayArn('/keys', id) })),
          ...planIds().map((id) => ({ action: 'apigateway:DELETE', resource: apiGatewayArn('/keys/*', id) })),
        ]
      : []),
    ...(operations.includes('readUsage')
      ? planIds().map((id) => ({ action: 'apigateway:GET', resource: apiGatewayArn('/usage', id) }))
      : []),
  ];

  const scheduling = (): Permission[] => [
    { action: 'scheduler:CreateSchedule', resource: flushSchedulesArn(defaults) },
    { action: 'scheduler:UpdateSchedule', resource: flushSchedulesArn(defaults) },
    {
      action: 'iam:PassRole',
      resource: arnOf(defaults.flushRoleId),
      condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
  ];

  /** PutEvents on the default bus, only with the service's own source. */
  const publishing = (source = 'api-key-service'): Permission[] => [
    {
      action: 'events:PutEvents',
      resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':events:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':event-bus/default',
          ],
        ],
      },
      condition: { 'ForAllValues:StringEquals': { 'events:source': [source] }, Null: { 'events:source': 'false' } },
    },
  ];

  it.each(HANDLER_NAMES)(
    'grants %s exactly its route-table actions on each table, its own log group, the registered stages, registry and queue if it flushes, flush schedules if it schedules them, and PutEvents if it may deliver records',
    (name) => {
      const id = defaults.functionIds[name];
      const flushes = HANDLERS[name].invalidation.includes('flushNow');
      const schedules = HANDLERS[name].invalidation.includes('flushAt');
      expect(permissionsOf(defaults.template, roleIdOf(defaults, id))).toEqual(
        sortPermissions([
          ...dataAccess(HANDLERS[name]),
          ...logWrites(id),
          ...(flushes ? flushing() : []),
          ...(schedules ? scheduling() : []),
          ...(HANDLERS[name].deliversWaitingRecords ? publishing() : []),
          ...usagePlanAccess(HANDLERS[name].usagePlans),
        ]),
      );
    },
  );

  /** What delivering records takes of both tables: reading and settling the items they wait in, the log, completing requests. */
  const delivering = () => [
    ...['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].map((action) => ({ action, resource: tableArn() })),
    ...['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'].map((action) => ({
      action,
      resource: arnOf(defaults.tenantTableId),
    })),
  ];

  it('grants the audit delivery its settling writes, the log, PutEvents, the two streams to Lambda, and the on-failure queue', () => {
    const streams = [defaults.tableId, defaults.tenantTableId].map((id) => ({ 'Fn::GetAtt': [id, 'StreamArn'] }));
    expect(permissionsOf(defaults.template, roleIdOf(defaults, defaults.deliveryId))).toEqual(
      sortPermissions([
        ...delivering(),
        ...['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].flatMap((action) =>
          streams.map((resource) => ({ action, resource })),
        ),
        { action: 'dynamodb:ListStreams', resource: '*' },
        { action: 'sqs:SendMessage', resource: arnOf(defaults.deliveryDeadLetterQueueId) },
        ...logWrites(defaults.deliveryId),
        ...publishing(),
      ]),
    );
  });

  it('grants the audit sweeper what the delivery does, a Scan of each sparse index, and the byTenant Query of a retired key', () => {
    const pendingIndexArn = (id: string) => ({ 'Fn::Join': ['', [arnOf(id), `/index/${KEY_TABLE.pendingAuditIndex.name}`]] });
    expect(permissionsOf(defaults.template, roleIdOf(defaults, defaults.sweeperId))).toEqual(
      sortPermissions([
        { action: 'dynamodb:Scan', resource: pendingIndexArn(defaults.tableId) },
        { action: 'dynamodb:Scan', resource: pendingIndexArn(defaults.tenantTableId) },
        { action: 'dynamodb:Query', resource: indexArn() },
        ...delivering(),
        ...logWrites(defaults.sweeperId),
        ...publishing(),
      ]),
    );
    const customSource = permissionsOf(custom.template, roleIdOf(custom, custom.sweeperId)).find(
      ({ action }) => action === 'events:PutEvents',
    );
    expect(customSource?.condition).toEqual({
      'ForAllValues:StringEquals': { 'events:source': ['acme.keys'] },
      Null: { 'events:source': 'false' },
    });
  });

  it('grants the flusher what a flush needs, and what Lambda polls its queue with', () => {
    expect(permissionsOf(defaults.template, roleIdOf(defaults, defaults.flusherId))).toEqual(
      sortPermissions([
        ...flushing(),
        ...logWrites(defaults.flusherId),
        ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) => ({
          action,
          resource: arnOf(defaults.flushQueueId),
        })),
      ]),
    );
  });

  it.each(NON_SCHEDULING_HANDLERS)('gives %s no Scheduler or PassRole permission', (name) => {
    const actions = permissionsOf(defaults.template, roleIdOf(defaults, defaults.functionIds[name])).map(({ action }) => action);
    expect(actions.filter((action) => action.startsWith('scheduler:') || action.startsWith('iam:'))).toEqual([]);
  });

  it('lets the authorizer read any key but only write lastUsedAt, asking nothing back', () => {
    const id = defaults.authorizerFunctionId;
    expect(permissionsOf(defaults.template, roleIdOf(defaults, id))).toEqual(
      sortPermissions([...verifyAccess(), ...logWrites(id)]),
    );
  });

  it('registers no stage to flush when the stage caches nothing (TTL 0), and names a custom stage otherwise', () => {
    const permissions = permissionsOf(custom.template, roleIdOf(custom, custom.functionIds.deleteKey));
    expect(permissions.find((permission) => permission.action === 'apigateway:DELETE')).toBeUndefined();
    const flushTargets = Object.values(custom.template.findResources('AWS::SSM::Parameter')).filter((parameter) =>
      String(parameter.Properties.Name).startsWith(custom.service.cacheFlush.targetsPath),
    );
    expect(flushTargets).toEqual([]);
    const stack = new ApiKeyServiceStack(testApp(), 'Prod', { service: { stageName: 'prod' } });
    const flush = permissionsOf(Template.fromStack(stack), logicalId(stack.service.handlers.deleteKey.role as never)).find(
      (permission) => permission.action === 'apigateway:DELETE',
    );
    expect(JSON.stringify(flush?.resource)).toContain('/stages/prod/cache/authorizers');
  });

  it('attaches no managed policy to any Lambda role', () => {
    for (const id of [defaults.authorizerFunctionId, ...Object.values(defaults.functionIds)]) {
      const role = defaults.template.findResources('AWS::IAM::Role')[roleIdOf(defaults, id)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });
});

/** `arn:{partition}:scheduler:{region}:{account}:schedule/{group}/*`, as the template renders it. */
function flushSchedulesArn(synthesized: Synthesized): unknown {
  const group = synthesized.service.cacheFlush.scheduleGroup.scheduleGroupName;
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':scheduler:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:schedule/${group}/*`,
      ],
    ],
  };
}

describe('the audit trail', () => {
  it("feeds the delivery function both tables' streams: from the oldest record, filtered to writes that leave records waiting, split and retried, set aside in its queue", () => {
    const mappings = Object.values(defaults.template.findResources('AWS::Lambda::EventSourceMapping'))
      .map((mapping) => mapping.Properties)
      .filter((properties) => JSON.stringify(properties.FunctionName).includes(defaults.deliveryId));
    expect(mappings.map((properties) => properties.EventSourceArn)).toEqual(
      [defaults.tableId, defaults.tenantTableId].map((id) => ({ 'Fn::GetAtt': [id, 'StreamArn'] })),
    );
    for (const properties of mappings) {
      expect(properties).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: arnOf(defaults.deliveryDeadLetterQueueId) } },
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify(WAITING_RECORDS_FILTER) }] },
      });
    }
  });

  it('runs the sweeper every five minutes, one invocation at a time and no retries of its own', () => {
    const rules = Object.values(defaults.template.findResources('AWS::Events::Rule'))
      .map((rule) => rule.Properties)
      .filter((rule) => JSON.stringify(rule.Targets).includes(defaults.sweeperId));
    expect(rules).toEqual([
      expect.objectContaining({
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [expect.objectContaining({ Arn: arnOf(defaults.sweeperId), RetryPolicy: { MaximumRetryAttempts: 0 } })],
      }),
    ]);
  });

  it('publishes to the bus it is given', () => {
    const stack = new Stack(testApp(), 'Bus');
    const bus = new EventBus(stack, 'Bus');
    const service = new ApiKeyService(stack, 'Keys', { eventBus: bus });
    const template = Template.fromStack(stack);
    const env =
      template.findResources('AWS::Lambda::Function')[logicalId(service.auditTrail.deliveryFunction)].Properties.Environment
        .Variables;
    expect(env[ENV.eventBusName]).toEqual({ Ref: logicalId(bus) });
  });

  it.each([
    [{ auditRetention: Duration.hours(12) }, /auditRetention must be a whole number of seconds, at least 1 day/],
    [{ auditRetention: Duration.millis(86_400_500) }, /auditRetention must be a whole number of seconds/],
    [{ eventSource: 'aws.keys' }, /eventSource "aws.keys" is not valid/],
    [{ eventSource: '' }, /eventSource "" is not valid/],
  ])('refuses %p', (props, message) => {
    expect(() => new ApiKeyService(new Stack(testApp(), 'Bad'), 'Keys', props)).toThrow(message);
  });

  it('leaves a retention given as a token for the deployment', () => {
    const stack = new Stack(testApp(), 'Token');
    const days = new CfnParameter(stack, 'Days', { type: 'Number' });
    expect(() => new ApiKeyService(stack, 'Keys', { auditRetention: Duration.seconds(days.valueAsNumber) })).not.toThrow();
  });
});

describe('expiry warnings', () => {
  it("are scheduled by the handlers that set expiries, with the flush schedules' group, role and dead-letter queue", () => {
    expect(HANDLER_NAMES.filter((name) => HANDLERS[name].warnsOfExpiry).sort()).toEqual(SCHEDULING_HANDLERS.sort());
  });

  it('wait in a queue of their own, whose failures join the flushes in their dead-letter queue, consumed by the warner', () => {
    const queue = defaults.template.findResources('AWS::SQS::Queue')[defaults.expiryWarningQueueId];
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      RedrivePolicy: { deadLetterTargetArn: arnOf(defaults.flushDeadLetterQueueId), maxReceiveCount: 10 },
    });
    defaults.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: defaults.warnerId },
      EventSourceArn: arnOf(defaults.expiryWarningQueueId),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('are written by a warner that may find a key by id and write it, take its messages, and schedule a warning again, and nothing else', () => {
    const permissions = permissionsOf(defaults.template, roleIdOf(defaults, defaults.warnerId));
    expect(permissions.map(({ action }) => action).sort()).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'iam:PassRole',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'scheduler:CreateSchedule',
        'scheduler:UpdateSchedule',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
      ].sort(),
    );
    expect(permissions.filter(({ action }) => action.startsWith('scheduler:'))).toEqual([
      { action: 'scheduler:CreateSchedule', resource: flushSchedulesArn(defaults) },
      { action: 'scheduler:UpdateSchedule', resource: flushSchedulesArn(defaults) },
    ]);
    expect(functionProperties(defaults, defaults.warnerId).Environment.Variables).toEqual({
      [ENV.tableName]: { Ref: defaults.tableId },
      [ENV.flushScheduleGroup]: defaults.service.cacheFlush.scheduleGroup.scheduleGroupName,
      [ENV.flushScheduleRoleArn]: arnOf(defaults.flushRoleId),
      [ENV.flushQueueArn]: arnOf(defaults.flushQueueId),
      [ENV.flushDeadLetterQueueArn]: arnOf(defaults.flushDeadLetterQueueId),
      [ENV.expiryWarningSeconds]: '604800',
      [ENV.expiryWarningQueueArn]: arnOf(defaults.expiryWarningQueueId),
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it.each([
    [{ expiryWarning: Duration.seconds(59) }, /expiryWarning must be a whole number of seconds from a minute to 366 days/],
    [{ expiryWarning: Duration.days(367) }, /expiryWarning/],
    [{ expiryWarning: Duration.millis(90_500) }, /expiryWarning/],
    [{ publicRevocationThrottle: { rateLimit: -1, burstLimit: 1 } }, /throttle of POST \/revoke/],
    [{ publicRevocationThrottle: { rateLimit: 1, burstLimit: 0.5 } }, /burst of POST \/revoke/],
  ])('refuses %p', (props, message) => {
    expect(() => new ApiKeyService(new Stack(testApp(), 'Bad'), 'Keys', props)).toThrow(message);
  });
});

describe('scheduled authorizer cache flushes', () => {
  const role = (synthesized: Synthesized) => synthesized.template.findResources('AWS::IAM::Role')[synthesized.flushRoleId];
  it('are scheduled by the handlers that set expiry times: create (expiresAt), update (expiresAt) and rotate (grace period)', () => {
    expect(SCHEDULING_HANDLERS.sort()).toEqual(['createKey', 'rotateKey', 'updateKey']);
  });

  it('live in one schedule group of the construct, named after the stack, deleted with it', () => {
    for (const synthesized of [defaults, custom]) {
      synthesized.template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
      const group = synthesized.template.findResources('AWS::Scheduler::ScheduleGroup')[synthesized.flushGroupId];
      expect(group).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      expect(group.Properties).toEqual({ Name: synthesized.service.cacheFlush.scheduleGroup.scheduleGroupName });
    }
    expect(defaults.service.cacheFlush.scheduleGroup.scheduleGroupName).toMatch(/^Defaults-flush-[0-9a-f]{8}$/);
    expect(custom.service.cacheFlush.scheduleGroup.scheduleGroupName).toMatch(/^Custom-flush-[0-9a-f]{8}$/);
  });

  it('give two services in one stack, or stack names of any length, distinct valid group names', () => {
    const stack = new Stack(testApp(), 'S'.repeat(128));
    const names = ['One', 'Two'].map((id) => new ApiKeyService(stack, id).cacheFlush.scheduleGroup.scheduleGroupName);
    expect(new Set(names).size).toBe(2);
    for (const name of names) expect(name).toMatch(/^[0-9A-Za-z_.-]{1,64}$/);
  });

  it('run as a role only EventBridge Scheduler may assume, for schedules of this group in this account', () => {
    expect(role(defaults).Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        // Scheduler sets aws:SourceArn to the schedule group's ARN, not the schedule's.
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': arnOf(defaults.flushGroupId) },
        },
      },
    ]);
  });

  it('whose one permission is putting a flush or an expiry warning on its queue, or in their dead-letter queue when that fails', () => {
    const { Properties } = role(defaults);
    expect(Properties.ManagedPolicyArns).toBeUndefined();
    expect(Properties.Policies).toBeUndefined();
    expect(permissionsOf(defaults.template, defaults.flushRoleId)).toEqual(
      sortPermissions([
        { action: 'sqs:SendMessage', resource: arnOf(defaults.flushQueueId) },
        { action: 'sqs:SendMessage', resource: arnOf(defaults.flushDeadLetterQueueId) },
        { action: 'sqs:SendMessage', resource: arnOf(defaults.expiryWarningQueueId) },
      ]),
    );
  });

  it.each(SCHEDULING_HANDLERS)(
    'may be created and moved (one per key: create, else update) by %s only in the flush group, passing only the flush role, only to Scheduler',
    (name) => {
      const permissions = permissionsOf(defaults.template, roleIdOf(defaults, defaults.functionIds[name]));
      expect(permissions.filter(({ action }) => action.startsWith('scheduler:') || action.startsWith('iam:'))).toEqual([
        {
          action: 'iam:PassRole',
          resource: arnOf(defaults.flushRoleId),
          condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
        { action: 'scheduler:CreateSchedule', resource: flushSchedulesArn(defaults) },
        // UpdateSchedule passes the role again, like CreateSchedule: the PassRole above covers both.
        { action: 'scheduler:UpdateSchedule', resource: flushSchedulesArn(defaults) },
      ]);
    },
  );

  it('are the only things that may pass the flush role, with the warner, which schedules warnings in their group', () => {
    const passers = Object.values(defaults.template.findResources('AWS::IAM::Policy')).filter(({ Properties }) =>
      (Properties.PolicyDocument.Statement as { Action: string | string[] }[]).some((statement) =>
        [statement.Action].flat().includes('iam:PassRole'),
      ),
    );
    const passerRoles = passers.flatMap(({ Properties }) => Properties.Roles.map((ref: { Ref: string }) => ref.Ref)).sort();
    expect(passerRoles).toEqual(
      [
        ...SCHEDULING_HANDLERS.map((name) => roleIdOf(defaults, defaults.functionIds[name])),
        roleIdOf(defaults, defaults.warnerId),
      ].sort(),
    );
  });

  it('add no dependency cycle, which synth would refuse: the stage registration needs the RestApi, never its methods, stage or functions', () => {
    // The synths above passed aws-cdk-lib's built-in CloudFormation validation, whose rule F3004 fails on a cycle:
    const cyclic = new Stack(testApp(), 'Cyclic');
    new CfnResource(cyclic, 'A', { type: 'AWS::SNS::Topic', properties: { TopicName: Fn.getAtt('B', 'TopicName') } });
    new CfnResource(cyclic, 'B', { type: 'AWS::SNS::Topic', properties: { TopicName: Fn.getAtt('A', 'TopicName') } });
    expect(() => Template.fromStack(cyclic)).toThrow(/Circular dependency/);
    // ...and the registration of the stage, which every flushing function's policy comes from, refers to none of
    // what refers to those functions.
    const registration = Object.values(defaults.template.findResources('AWS::IAM::ManagedPolicy')).filter((policy) =>
      JSON.stringify(policy).includes('/cache/authorizers'),
    );
    expect(registration).toHaveLength(1);
    const parameter = Object.values(defaults.template.findResources('AWS::SSM::Parameter')).filter((candidate) =>
      String(candidate.Properties.Name).startsWith(defaults.service.cacheFlush.targetsPath),
    );
    const refersTo = JSON.stringify([registration[0].Properties.PolicyDocument, role(defaults).Properties, parameter]);
    expect(refersTo).toContain(JSON.stringify({ Ref: defaults.apiId }));
    for (const type of [
      'AWS::ApiGateway::Stage',
      'AWS::ApiGateway::Deployment',
      'AWS::ApiGateway::Method',
      'AWS::Lambda::Function',
    ]) {
      for (const id of Object.keys(defaults.template.findResources(type))) expect(refersTo).not.toContain(`"${id}"`);
    }
  });
});

/** Every API Gateway resource's full path, by logical id. */
function resourcePaths(synthesized: Synthesized): Map<string, string> {
  const resources = synthesized.template.findResources('AWS::ApiGateway::Resource');
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const { ParentId, PathPart } = resources[id].Properties;
    const parent = ParentId.Ref ? pathOf(ParentId.Ref) : '';
    const full = `${parent}/${PathPart}`;
    paths.set(id, full);
    return full;
  };
  Object.keys(resources).forEach(pathOf);
  return paths;
}

describe('the REST API', () => {
  it('has exactly the route table: each method with its authorization and its handler', () => {
    const paths = resourcePaths(defaults);
    const [authorizerId] = Object.entries(defaults.template.findResources('AWS::ApiGateway::Authorizer'))
      .filter(([, authorizer]) => authorizer.Properties.IdentitySource === 'method.request.header.x-api-key')
      .map(([id]) => id);
    const methods = Object.values(defaults.template.findResources('AWS::ApiGateway::Method')).map(({ Properties }) => ({
      method: Properties.HttpMethod,
      path: Properties.ResourceId.Ref ? paths.get(Properties.ResourceId.Ref) : '/',
      authorization: Properties.AuthorizationType,
      authorizerId: Properties.AuthorizerId?.Ref,
      integrationType: Properties.Integration.Type,
      uri: JSON.stringify(Properties.Integration.Uri),
    }));
    expect(methods).toHaveLength(ROUTES.length);

    for (const route of ROUTES) {
      const method = methods.find((candidate) => candidate.method === route.method && candidate.path === route.path);
      expect(method).toBeDefined();
      const expected = {
        iam: { authorization: 'AWS_IAM', authorizerId: undefined },
        apiKey: { authorization: 'CUSTOM', authorizerId },
        jwt: { authorization: 'CUSTOM', authorizerId: logicalId(defaults.service.node.findChild('ConsoleUserAuthorizer')) },
        none: { authorization: 'NONE', authorizerId: undefined },
      }[route.authorization];
      expect(method).toMatchObject({ ...expected, integrationType: 'AWS_PROXY' });
      expect(method?.uri).toContain(JSON.stringify(arnOf(defaults.functionIds[route.handler])));
    }
  });

  it('uses a REQUEST authorizer on x-api-key, backed by the authorizer function, caching 5 minutes by default', () => {
    const authorizerUri = JSON.stringify(arnOf(defaults.authorizerFunctionId));
    defaults.template.resourceCountIs('AWS::ApiGateway::Authorizer', 2);
    const [[authorizerId, authorizer]] = Object.entries(defaults.template.findResources('AWS::ApiGateway::Authorizer')).filter(
      ([, candidate]) => candidate.Properties.IdentitySource === 'method.request.header.x-api-key',
    );
    expect(authorizer.Properties).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.x-api-key',
      AuthorizerResultTtlInSeconds: 300,
      RestApiId: { Ref: defaults.apiId },
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(authorizerUri);
    // Invoked through the role API Gateway assumes: the function's resource policy gets nothing.
    expect(authorizer.Properties.AuthorizerCredentials).toEqual(arnOf(logicalId(defaults.service.authorizerInvokeRole)));
    const invokePermissions = Object.values(defaults.template.findResources('AWS::Lambda::Permission')).filter(
      ({ Properties }) => JSON.stringify(Properties.FunctionName) === JSON.stringify(arnOf(defaults.authorizerFunctionId)),
    );
    expect(invokePermissions).toEqual([]);
    expect(authorizerId).toBeDefined();
  });

  it('carries the self-service methods to the authorizer in the stage variables, from the route table', () => {
    const [stage] = Object.values(defaults.template.findResources('AWS::ApiGateway::Stage'));
    expect(decodeMethods(stage.Properties.Variables)).toEqual(compileMethods(SERVICE_PROTECTED_METHODS));
  });

  it('turns authorizer caching off when the TTL is 0', () => {
    custom.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });

  it.each(GATEWAY_RESPONSES.map((response) => [response.type, response] as const))(
    'answers %s as problem+json with no-store and its own status',
    (type, { body, headers }) => {
      defaults.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: String(body.status),
        ResponseParameters: {
          'gatewayresponse.header.Content-Type': `'${PROBLEM_CONTENT_TYPE}'`,
          'gatewayresponse.header.Cache-Control': "'no-store'",
          'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
          ...Object.fromEntries(
            Object.entries(headers ?? {}).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]),
          ),
        },
        ResponseTemplates: { 'application/json': JSON.stringify(body) },
      });
    },
  );

  it('rewrites the gateway 401, 403 and catch-alls', () => {
    defaults.template.resourceCountIs('AWS::ApiGateway::GatewayResponse', GATEWAY_RESPONSES.length);
    const templates = Object.values(defaults.template.findResources('AWS::ApiGateway::GatewayResponse')).map(
      ({ Properties }) => Properties,
    );
    for (const [type, status] of [
      ['UNAUTHORIZED', 401],
      ['ACCESS_DENIED', 403],
      ['DEFAULT_4XX', 400],
      ['DEFAULT_5XX', 500],
    ] as const) {
      const response = templates.find((candidate) => candidate.ResponseType === type);
      const body = JSON.parse(response?.ResponseTemplates['application/json']);
      expect(body).toEqual({ ...gatewayResponse(type).body, status });
      expect(Object.keys(body).sort()).toEqual(['detail', 'status', 'title', 'type']);
      // Mapping templates are VTL: a stray $ or # would be evaluated.
      expect(response?.ResponseTemplates['application/json']).not.toMatch(/[$#]/);
    }
  });

  it('logs access as JSON to its own log group: who called, never the key', () => {
    const [stage] = Object.values(defaults.template.findResources('AWS::ApiGateway::Stage')).map(({ Properties }) => Properties);
    const accessLogGroupId = logicalId(defaults.service.node.findChild('AccessLogs'));
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(JSON.stringify({ Ref: accessLogGroupId }));
    const format = JSON.parse(stage.AccessLogSetting.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      status: '$context.status',
      keyId: '$context.authorizer.principalId',
      tenantId: '$context.authorizer.tenantId',
      userArn: '$context.identity.userArn',
    });
    for (const field of Object.values(format)) expect(field).not.toMatch(/header|apiKey|\$input/i);
    expect(defaults.template.findResources('AWS::Logs::LogGroup')[accessLogGroupId].Properties.RetentionInDays).toBe(365);
  });

  it('logs execution errors only, never request data, throttles the stage, and POST /revoke on its own', () => {
    defaults.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        },
        // One limit for all callers of the method that anyone may call with a key to end it.
        { HttpMethod: 'POST', ResourcePath: '/~1revoke', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      ],
    });
    custom.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [
        Match.objectLike({ DataTraceEnabled: false, ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
        { HttpMethod: 'POST', ResourcePath: '/~1revoke', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 4 },
      ],
    });
  });

  it("sets API Gateway's CloudWatch role unless told the account has one", () => {
    defaults.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    custom.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('associates a web ACL with the stage only when given one', () => {
    defaults.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    custom.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: CUSTOM_PROPS.webAclArn });
  });
});

describe('the stack', () => {
  it("outputs the API URL, the tables' names, the authorizer function ARN and the API keys' namespace, and nothing else", () => {
    const outputs = defaults.template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'ApiUrl',
      'AuthorizerFunctionArn',
      'ConsoleUrl',
      'ConsoleUserPoolId',
      'TableName',
      'TenantTableName',
      'UsageKeyNamespace',
    ]);
    expect(outputs.TenantTableName.Value).toEqual({ Ref: defaults.tenantTableId });
    expect(outputs.UsageKeyNamespace.Value).toBe(defaults.service.usagePlans.namespace);
    expect(outputs.ConsoleUserPoolId.Value).toEqual({ Ref: userPoolId(defaults) });
    expect(JSON.stringify(outputs.ConsoleUrl.Value)).toContain('/v1/console');
    expect(outputs.TableName.Value).toEqual({ Ref: defaults.tableId });
    expect(outputs.AuthorizerFunctionArn.Value).toEqual(arnOf(defaults.authorizerFunctionId));
    const url = JSON.stringify(outputs.ApiUrl.Value);
    expect(url).toContain(JSON.stringify({ Ref: defaults.apiId }));
    expect(url).toContain('.execute-api.');
  });
});

describe('props validation', () => {
  const construct = (props: ApiKeyServiceProps) => () => new ApiKeyService(new Stack(testApp(), 'Invalid'), 'Service', props);

  it.each(['AK', 'ak-live', 'zk_live_extra', '1ak', ''])('rejects key prefix %j at synth time', (keyPrefix) => {
    expect(construct({ keyPrefix })).toThrow(/keyPrefix .* is not valid/);
  });

  it('leaves the cache TTL to RequestAuthorizer, which refuses more than an hour', () => {
    expect(construct({ authorizerCacheTtl: Duration.seconds(3601) })).toThrow(/3600/);
  });

  it('leaves values unknown until deploy (tokens) to the deployment', () => {
    const stack = new Stack(testApp(), 'Tokens');
    const prefix = new CfnParameter(stack, 'Prefix', { type: 'String' }).valueAsString;
    const rate = new CfnParameter(stack, 'Rate', { type: 'Number' }).valueAsNumber;
    expect(() => new ApiKeyService(stack, 'Service', { keyPrefix: prefix, throttlingRateLimit: rate })).not.toThrow();
  });

  it('rejects a stage name API Gateway would refuse', () => {
    expect(construct({ stageName: 'v1/beta' })).toThrow(/stageName "v1\/beta" is not valid/);
  });

  it('rejects negative or fractional throttling', () => {
    expect(construct({ throttlingRateLimit: -1 })).toThrow(/throttlingRateLimit/);
    expect(construct({ throttlingBurstLimit: 1.5 })).toThrow(/throttlingBurstLimit/);
  });
});

describe('grantAdmin', () => {
  it('lets a principal invoke the admin routes of the stage, and nothing else of the API', () => {
    const stack = new Stack(testApp(), 'Admin');
    const service = new ApiKeyService(stack, 'Service', { stageName: 'prod' });
    const backOffice = new Role(stack, 'BackOffice', { assumedBy: new AccountRootPrincipal() });
    service.grantAdmin(backOffice);
    const template = Template.fromStack(stack);
    const invoke = (resource: string) => ({
      action: 'execute-api:Invoke',
      resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':execute-api:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':',
            { Ref: logicalId(service.api) },
            resource,
          ],
        ],
      },
    });
    expect(permissionsOf(template, logicalId(backOffice))).toEqual(
      sortPermissions([
        invoke('/prod/POST/tenants/*/keys'),
        invoke('/prod/GET/tenants/*/keys'),
        invoke('/prod/GET/tenants/*/keys/*'),
        invoke('/prod/PATCH/tenants/*/keys/*'),
        invoke('/prod/POST/tenants/*/keys/*/revoke'),
        invoke('/prod/PUT/tenants/*'),
        invoke('/prod/GET/tenants/*'),
        invoke('/prod/GET/tenants/*/usage'),
        invoke('/prod/DELETE/tenants/*/keys/*'),
        invoke('/prod/POST/tenants/*/keys/*/rotate'),
        invoke('/prod/GET/tenants/*/audit'),
        invoke('/prod/POST/verify'),
      ]),
    );
  });
});

describe('the flush queue and the registry of stages', () => {
  it('register the service stage under the targets path, as the flush functions read it', () => {
    const parameters = Object.values(defaults.template.findResources('AWS::SSM::Parameter')).filter((parameter) =>
      String(parameter.Properties.Name).startsWith(defaults.service.cacheFlush.targetsPath),
    );
    expect(parameters).toHaveLength(1);
    expect(parameters[0].Properties).toMatchObject({
      Type: 'String',
      Name: expect.stringMatching(new RegExp(`^${defaults.service.cacheFlush.targetsPath}/[A-Za-z0-9_.-]+$`)),
      Value: { 'Fn::Join': ['', ['{"kind":"rest","apiId":"', { Ref: defaults.apiId }, '","stageName":"v1"}']] },
    });
  });

  it("let every flushing function, and the flusher, flush the registered stage through the stack's one managed policy", () => {
    const [registration, ...others] = Object.values(defaults.template.findResources('AWS::IAM::ManagedPolicy'));
    expect(others).toEqual([]);
    expect(JSON.stringify(registration.Properties.PolicyDocument)).toContain('/cache/authorizers');
    const flushingRoles = [
      ...HANDLER_NAMES.filter((name) => HANDLERS[name].invalidation.includes('flushNow')).map((name) =>
        roleIdOf(defaults, defaults.functionIds[name]),
      ),
      roleIdOf(defaults, defaults.flusherId),
    ];
    expect(registration.Properties.Roles).toEqual(expect.arrayContaining(flushingRoles.map((id) => ({ Ref: id }))));
    expect(registration.Properties.Roles).toHaveLength(flushingRoles.length);
  });

  it('keep the queue encrypted and TLS-only, retried every minute ten times, then dead-lettered for 14 days', () => {
    const queues = defaults.template.findResources('AWS::SQS::Queue');
    expect(queues[defaults.flushQueueId].Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      RedrivePolicy: { deadLetterTargetArn: arnOf(defaults.flushDeadLetterQueueId), maxReceiveCount: 10 },
    });
    expect(queues[defaults.flushDeadLetterQueueId].Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    for (const id of [defaults.flushQueueId, defaults.flushDeadLetterQueueId]) {
      defaults.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Principal: { AWS: '*' },
            }),
          ],
        },
      });
    }
  });

  it('feed the flusher batches of up to 100 gathered for a second, two at a time, retrying only what failed', () => {
    defaults.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: defaults.flusherId },
      EventSourceArn: arnOf(defaults.flushQueueId),
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('the usage plan reconciler', () => {
  const reconcilerId = () => logicalId(defaults.service.usagePlans.reconcilerFunction);

  it('runs every five minutes, finishing before the next run, with no retries of its own', () => {
    const rules = Object.values(defaults.template.findResources('AWS::Events::Rule'))
      .map((rule) => rule.Properties)
      .filter((rule) => JSON.stringify(rule.Targets).includes(reconcilerId()));
    expect(rules).toEqual([
      expect.objectContaining({
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [expect.objectContaining({ Arn: arnOf(reconcilerId()), RetryPolicy: { MaximumRetryAttempts: 0 } })],
      }),
    ]);
    expect(functionProperties(defaults, reconcilerId()).Timeout).toBe(240);
  });

  it('is told the registry, the plans, the tenant table and the metrics namespace, and may do exactly what it does', () => {
    expect(functionProperties(defaults, reconcilerId()).Environment.Variables).toEqual(
      expect.objectContaining({
        [ENV.planStagesPath]: defaults.service.usagePlans.stagesPath,
        [ENV.usagePlans]: expect.anything(),
        [ENV.usageKeyNamespace]: defaults.service.usagePlans.namespace,
        [ENV.tenantTableName]: { Ref: defaults.tenantTableId },
        [ENV.metricsNamespace]: defaults.service.metricsNamespace,
      }),
    );
    const planKeys = Object.values(defaults.usagePlanIds).flatMap((id) => [
      { action: 'apigateway:POST', resource: apiGatewayArn('::/usageplans/', { Ref: id }, '/keys') },
      { action: 'apigateway:DELETE', resource: apiGatewayArn('::/usageplans/', { Ref: id }, '/keys/*') },
    ]);
    expect(permissionsOf(defaults.template, roleIdOf(defaults, reconcilerId()))).toEqual(
      sortPermissions([
        ...stageLinkPermissions(defaults),
        ...planKeys,
        ...USAGE_PLAN_RECONCILER_TENANT_TABLE_ACTIONS.map((action) => ({ action, resource: arnOf(defaults.tenantTableId) })),
        ...logWrites(reconcilerId()),
      ]),
    );
  });

  it("puts every registered stage back during each deployment that changes a plan, after the stack's own stages are linked", () => {
    const [relink] = Object.values(defaults.template.findResources('Custom::UsagePlanRelink'));
    expect(relink.Properties).toEqual({
      ServiceToken: arnOf(reconcilerId()),
      UsagePlanIds: Object.values(defaults.usagePlanIds).map((id) => ({ Ref: id })),
      Plans: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(relink.DependsOn).toEqual(Object.keys(defaults.template.findResources('Custom::UsagePlanStages')));
  });

  it('is told of a change of any usage plan, its tags included, and of nothing else', () => {
    const fingerprint = (props: ApiKeyServiceProps, tag?: string) => {
      const stack = new ApiKeyServiceStack(testApp(), 'Fingerprint', { service: props });
      if (tag) Tags.of(stack).add('team', tag);
      const [relink] = Object.values(Template.fromStack(stack).findResources('Custom::UsagePlanRelink'));
      return relink.Properties.Plans as string;
    };
    const base = fingerprint({});
    expect(fingerprint({ keyPrefix: 'zk_live' })).toBe(base);
    const faster = { ...DECLARED_PLANS, plans: { ...DECLARED_PLANS.plans, pro: { rateLimit: 101, burstLimit: 200 } } };
    expect(fingerprint({ plans: faster })).not.toBe(base);
    expect(fingerprint({}, 'keys')).not.toBe(base);
  });
});

describe('plans', () => {
  const usagePlan = (synthesized: Synthesized, name: string) =>
    synthesized.template.findResources('AWS::ApiGateway::UsagePlan')[synthesized.usagePlanIds[name]].Properties;

  it('make each declared plan a usage plan with its throttle and its quota, if it has one', () => {
    defaults.template.resourceCountIs('AWS::ApiGateway::UsagePlan', Object.keys(DECLARED_PLANS.plans).length);
    for (const [name, plan] of Object.entries(DECLARED_PLANS.plans)) {
      const properties = usagePlan(defaults, name);
      expect(properties.Throttle).toEqual({ RateLimit: plan.rateLimit, BurstLimit: plan.burstLimit });
      expect(properties.Quota).toEqual(plan.quota ? { Limit: plan.quota.limit, Period: plan.quota.period } : undefined);
      // Stages are added by the link, so that nothing the functions refer to depends on a stage.
      expect(properties.ApiStages).toBeUndefined();
    }
  });

  it('take the plans a stack passes, checked whole', () => {
    const stack = new Stack(testApp(), 'Plans');
    const service = new ApiKeyService(stack, 'Service', {
      plans: { default: 'basic', plans: { basic: { rateLimit: 1, burstLimit: 2, quota: { limit: 50, period: 'WEEK' } } } },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    expect(
      template.findResources('AWS::ApiGateway::UsagePlan')[logicalId(service.usagePlans.usagePlans.basic)].Properties,
    ).toMatchObject({
      Throttle: { RateLimit: 1, BurstLimit: 2 },
      Quota: { Limit: 50, Period: 'WEEK' },
    });
    expect(
      () =>
        new ApiKeyService(new Stack(testApp(), 'BadPlans'), 'Service', {
          plans: { default: 'gold', plans: { basic: { rateLimit: 0, burstLimit: 2 } } },
        }),
    ).toThrow(/plans\.basic\.rateLimit must be an integer from 1 to 10000; "default" must name one of the plans \(basic\)/);
  });

  it('key usage by the authorizer: the API key source is AUTHORIZER, and every key-protected method requires the key', () => {
    expect(defaults.template.findResources('AWS::ApiGateway::RestApi')[defaults.apiId].Properties.ApiKeySourceType).toBe(
      'AUTHORIZER',
    );
    const methods = Object.values(defaults.template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    const requiring = methods.filter((method) => method.ApiKeyRequired === true);
    expect(requiring).toHaveLength(ROUTES.filter((route) => route.authorization === 'apiKey').length);
    // The console's and the open routes count against no plan: only the x-api-key authorizer names a usage key.
    for (const method of requiring) {
      expect(method.AuthorizationType).toBe('CUSTOM');
      expect(JSON.stringify(method.AuthorizerId)).not.toContain('ConsoleUserAuthorizer');
    }
  });

  it("register the service's stage, and put it under every plan through its stack's link, which may read the registry and read and change those usage plans only", () => {
    const { stagesPath } = defaults.service.usagePlans;
    const [registration] = Object.entries(defaults.template.findResources('AWS::SSM::Parameter')).filter(([, parameter]) =>
      String(parameter.Properties.Name).startsWith(`${stagesPath}/`),
    );
    expect(registration[1].Properties.Value).toEqual({
      'Fn::Join': ['', ['{"restApiId":"', { Ref: defaults.apiId }, '","stageName":"', { Ref: stageIdOf(defaults) }, '"}']],
    });
    const [[linkId, link]] = Object.entries(defaults.template.findResources('Custom::UsagePlanStages'));
    // Deleted before the link: a stage is taken off the plans only once it is no longer registered.
    expect(registration[1].DependsOn).toContain(linkId);
    expect(link.Properties.UsagePlanIds).toEqual(Object.values(defaults.usagePlanIds).map((id) => ({ Ref: id })));
    // The stage's Ref: made after the stage, and deleted before it.
    expect(link.Properties.Stages).toEqual([{ 'Fn::Join': ['', [{ Ref: defaults.apiId }, ':', { Ref: stageIdOf(defaults) }]] }]);
    const linkFunctionId = link.Properties.ServiceToken['Fn::GetAtt'][0];
    expect(permissionsOf(defaults.template, roleIdOf(defaults, linkFunctionId))).toEqual(
      sortPermissions([...stageLinkPermissions(defaults), ...logWrites(linkFunctionId)]),
    );
    expect(functionProperties(defaults, linkFunctionId).Environment.Variables).toEqual(
      expect.objectContaining({ [ENV.planStagesPath]: stagesPath }),
    );
    // UpdateUsagePlan allows one call per 20 s per account: the link waits, within CloudFormation's hour.
    expect(functionProperties(defaults, linkFunctionId).Timeout).toBe(840);
  });

  it.each(['THROTTLED', 'QUOTA_EXCEEDED'] as const)('answer %s with 429 problem+json and Retry-After', (type) => {
    const response = Object.values(defaults.template.findResources('AWS::ApiGateway::GatewayResponse')).find(
      (r) => r.Properties.ResponseType === type,
    );
    expect(response?.Properties).toMatchObject({
      StatusCode: '429',
      ResponseParameters: expect.objectContaining({
        'gatewayresponse.header.Content-Type': `'${PROBLEM_CONTENT_TYPE}'`,
        'gatewayresponse.header.Retry-After': expect.stringMatching(/^'\d+'$/),
      }),
    });
    expect(JSON.parse(response?.Properties.ResponseTemplates['application/json'])).toMatchObject({ status: 429 });
  });
});
