/**
 * What IAM is asked for each AWS SDK call the functions make: the action, the
 * resource ARN and the condition keys the request carries. The mapping follows
 * the Service Authorization Reference for each service.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, REGION } from './resolved-template';

export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface RecordedCall {
  command: string;
  input: Record<string, any>;
}

/** Every attribute a DynamoDB request names (its key, its item, its expressions): `dynamodb:Attributes`. */
function dynamoDbAttributes(input: Record<string, any>): string[] {
  const names = new Set<string>([
    ...Object.keys(input.Key ?? {}),
    ...Object.keys(input.Item ?? {}),
    ...Object.values((input.ExpressionAttributeNames ?? {}) as Record<string, string>),
  ]);
  return [...names].sort();
}

const tableArn = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;

/** `https://sqs.{region}.amazonaws.com/{account}/{name}` is `arn:aws:sqs:{region}:{account}:{name}`. */
function queueArnOf(queueUrl: string): string {
  const [, account, name] = new URL(queueUrl).pathname.split('/');
  return `arn:aws:sqs:${REGION}:${account}:${name}`;
}

function apiGateway(verb: string, path: string): IamRequest {
  return { action: `apigateway:${verb}`, resource: `arn:aws:apigateway:${REGION}::${path}`, context: {} };
}

export function iamRequestsFor({ command, input }: RecordedCall): IamRequest[] {
  const dynamoDb = (action: string, resource = tableArn(input.TableName)): IamRequest[] => [
    {
      action: `dynamodb:${action}`,
      resource,
      context: { 'dynamodb:Attributes': dynamoDbAttributes(input), 'dynamodb:ReturnValues': input.ReturnValues ?? 'NONE' },
    },
  ];
  switch (command) {
    case 'GetCommand':
      return dynamoDb('GetItem');
    case 'PutCommand':
      return dynamoDb('PutItem');
    case 'UpdateCommand':
      return dynamoDb('UpdateItem');
    case 'DeleteCommand':
      return dynamoDb('DeleteItem');
    case 'QueryCommand':
      return dynamoDb(
        'Query',
        input.IndexName ? `${tableArn(input.TableName)}/index/${input.IndexName}` : tableArn(input.TableName),
      );
    case 'FlushStageAuthorizersCacheCommand':
      // DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/authorizers
      return [
        {
          action: 'apigateway:DELETE',
          resource: `arn:aws:apigateway:${REGION}::/restapis/${input.restApiId}/stages/${input.stageName}/cache/authorizers`,
          context: {},
        },
      ];
    case 'ResetAuthorizersCacheCommand':
      // DELETE /v2/apis/{apiId}/stages/{stageName}/cache/authorizers
      return [
        {
          action: 'apigateway:DELETE',
          resource: `arn:aws:apigateway:${REGION}::/apis/${input.ApiId}/stages/${input.StageName}/cache/authorizers`,
          context: {},
        },
      ];
    // API Gateway's control plane is authorized by HTTP verb on the resource path
    // ("Control access for managing an API with IAM permissions", API Gateway Developer Guide).
    case 'GetApiKeysCommand':
      return [apiGateway('GET', '/apikeys')];
    case 'CreateApiKeyCommand':
      return [apiGateway('POST', '/apikeys')];
    case 'CreateUsagePlanKeyCommand':
      return [apiGateway('POST', `/usageplans/${input.usagePlanId}/keys`)];
    case 'DeleteUsagePlanKeyCommand':
      return [apiGateway('DELETE', `/usageplans/${input.usagePlanId}/keys/${input.keyId}`)];
    case 'GetUsageCommand':
      return [apiGateway('GET', `/usageplans/${input.usagePlanId}/usage`)];
    case 'GetUsagePlanCommand':
      return [apiGateway('GET', `/usageplans/${input.usagePlanId}`)];
    case 'UpdateUsagePlanCommand':
      return [apiGateway('PATCH', `/usageplans/${input.usagePlanId}`)];
    case 'GetParametersByPathCommand':
      // Authorized against the path asked for, not the parameters returned.
      return [
        { action: 'ssm:GetParametersByPath', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${input.Path}`, context: {} },
      ];
    case 'SendMessageCommand':
    case 'ReceiveMessageCommand':
    case 'DeleteMessageCommand':
    case 'GetQueueAttributesCommand':
      return [
        {
          action: `sqs:${command.replace(/Command$/, '')}`,
          resource: input.QueueArn ?? queueArnOf(input.QueueUrl),
          context: {},
        },
      ];
    // DynamoDB Streams, which Lambda reads for a function mapped to them: authorized on the stream,
    // except ListStreams, which names no resource.
    case 'DescribeStreamCommand':
    case 'GetRecordsCommand':
    case 'GetShardIteratorCommand':
      return [{ action: `dynamodb:${command.replace(/Command$/, '')}`, resource: input.StreamArn, context: {} }];
    case 'ListStreamsCommand':
      return [{ action: 'dynamodb:ListStreams', resource: '*', context: {} }];
    case 'CreateScheduleCommand':
    case 'UpdateScheduleCommand':
      return [
        {
          action: `scheduler:${command.replace(/Command$/, '')}`,
          resource: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${input.GroupName ?? 'default'}/${input.Name}`,
          context: {},
        },
        // Both pass the target's role to Scheduler.
        { action: 'iam:PassRole', resource: input.Target.RoleArn, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      ];
    case 'ScanCommand':
      return dynamoDb(
        'Scan',
        input.IndexName ? `${tableArn(input.TableName)}/index/${input.IndexName}` : tableArn(input.TableName),
      );
    case 'PutEventsCommand':
      // One request per entry's bus, each carrying the entries' sources ("Using IAM policy conditions", EventBridge User Guide).
      return (input.Entries as { EventBusName?: string; Source: string }[]).map((entry) => ({
        action: 'events:PutEvents',
        resource: (entry.EventBusName ?? 'default').startsWith('arn:')
          ? (entry.EventBusName as string)
          : `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${entry.EventBusName ?? 'default'}`,
        context: { 'events:source': [entry.Source] },
      }));
    default:
      throw new Error(`No IAM mapping for ${command}: add one before the function may make it`);
  }
}

/** Whether the role's identity policies allow the request, by AWS's evaluation logic. */
export async function isAllowed(
  policies: { name: string; policy: unknown }[],
  principal: string,
  request: IamRequest,
): Promise<{ allowed: boolean; detail: string }> {
  const response = await runSimulation(
    {
      identityPolicies: policies as never,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal,
        resource: { accountId: ACCOUNT, resource: request.resource },
        contextVariables: request.context,
      },
    },
    {},
  );
  if (response.resultType === 'error') return { allowed: false, detail: JSON.stringify(response.errors) };
  return { allowed: response.overallResult === 'Allowed', detail: response.overallResult };
}

/** The actions a role's policies grant, outside its own logging. */
export function grantedActions(policies: { policy: { Statement: unknown[] } }[]): string[] {
  const actions = policies.flatMap(({ policy }) =>
    (policy.Statement as { Effect: string; Action: string | string[] }[])
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => [statement.Action].flat()),
  );
  return [...new Set(actions.filter((action) => !action.startsWith('logs:')))].sort();
}
