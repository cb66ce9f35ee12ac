/**
 * A synthesized template with its intrinsic functions resolved to the values a
 * deployment could give them, so that tests can run a function with the
 * environment its template gives it and check its calls against its role's
 * policies, all in concrete ARNs.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** A synthesized stack as the tests read it: its resources, name and outputs. */
export interface StackTemplate {
  name: string;
  Resources: Resources;
  Outputs?: Record<string, { Value: unknown }>;
}

/** A stand-in physical name, derived from the logical id. */
function physicalName(logicalId: string): string {
  return `${logicalId.slice(0, 40).toLowerCase()}`;
}

export class ResolvedTemplate {
  private readonly resources: Resources;

  /**
   * `stack`, with the other stacks of its app: they may attach policies to its roles
   * and register parameters, through references to its outputs.
   */
  constructor(
    private readonly stack: StackTemplate,
    private readonly others: ResolvedTemplate[] = [],
  ) {
    this.resources = stack.Resources;
  }

  /** `Ref`: what CloudFormation returns for each resource type the service uses. */
  private ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stack.name,
    };
    if (pseudo[logicalId]) return pseudo[logicalId];
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`Ref to unknown ${logicalId}`);
    const declaredName = (property: string) =>
      resource.Properties?.[property] !== undefined
        ? String(this.resolve(resource.Properties[property]))
        : physicalName(logicalId);
    switch (resource.Type) {
      case 'AWS::Scheduler::ScheduleGroup':
        return declaredName('Name');
      case 'AWS::SSM::Parameter':
        return declaredName('Name');
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${declaredName('QueueName')}`;
      case 'AWS::ApiGateway::RestApi':
        return `api${physicalName(logicalId)
          .replace(/[^a-z0-9]/g, '')
          .slice(-7)}`;
      default:
        return physicalName(logicalId);
    }
  }

  /** `Fn::GetAtt`, for the attributes the service's templates read. */
  private getAtt(logicalId: string, attribute: string): string {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`GetAtt of unknown ${logicalId}`);
    const name = this.ref(logicalId);
    const arns: Record<string, () => string> = {
      'AWS::DynamoDB::Table': () => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
      'AWS::IAM::Role': () => `arn:aws:iam::${ACCOUNT}:role/${name}`,
      'AWS::Lambda::Function': () => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
      'AWS::Logs::LogGroup': () => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
      'AWS::Scheduler::ScheduleGroup': () => `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${name}`,
      'AWS::SQS::Queue': () => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name.split('/').pop()}`,
      'AWS::Events::EventBus': () => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`,
    };
    if (attribute === 'Arn' && arns[resource.Type]) return arns[resource.Type]();
    if (resource.Type === 'AWS::DynamoDB::Table' && attribute === 'StreamArn') {
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}/stream/2026-01-01T00:00:00.000`;
    }
    if (resource.Type === 'AWS::SQS::Queue' && attribute === 'QueueName') return name.split('/').pop() as string;
    if (resource.Type === 'AWS::ApiGateway::RestApi' && attribute === 'RootResourceId') return 'root';
    if (resource.Type === 'AWS::Cognito::UserPool' && attribute === 'ProviderURL') {
      return `https://cognito-idp.${REGION}.amazonaws.com/${REGION}_${name.slice(0, 9)}`;
    }
    throw new Error(`GetAtt ${logicalId}.${attribute} (${resource.Type}) is not resolved`);
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [[fn, argument]] = entries;
      switch (fn) {
        case 'Ref':
          return this.ref(argument as string);
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
          return this.getAtt(logicalId, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [number, unknown];
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = argument as [string, unknown];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, variables = {}] = Array.isArray(argument) ? argument : [argument];
          return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) =>
            name in variables
              ? String(this.resolve(variables[name]))
              : name.includes('.')
                ? this.getAtt(...(name.split('.') as [string, string]))
                : this.ref(name),
          );
        }
      }
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  /** The environment variables a function's template gives it, resolved. */
  environmentOf(functionId: string): Record<string, string> {
    const variables = this.resources[functionId]?.Properties?.Environment?.Variables ?? {};
    return this.resolve(variables) as Record<string, string>;
  }

  /** The Parameter Store parameters the app's stacks create under `path`, resolved: what GetParametersByPath would answer. */
  parametersUnder(path: string): { Name: string; Value: string }[] {
    return [...this.ownParametersUnder(path), ...this.others.flatMap((other) => other.ownParametersUnder(path))];
  }

  private ownParametersUnder(path: string): { Name: string; Value: string }[] {
    return Object.values(this.resources)
      .filter((resource) => resource.Type === 'AWS::SSM::Parameter')
      .map((resource) => ({
        Name: String(this.resolve(resource.Properties?.Name)),
        Value: String(this.resolve(resource.Properties?.Value)),
      }))
      .filter((parameter) => parameter.Name.startsWith(`${path}/`));
  }

  /** The logical id of a function's role. */
  private roleIdOf(functionId: string): string {
    const role = this.resources[functionId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
    if (!role) throw new Error(`${functionId} has no role`);
    return role['Fn::GetAtt'][0];
  }

  /**
   * The identity policies attached to a function's role: inline on the role, and
   * AWS::IAM::Policy resources naming it, in this stack or, through its outputs, in another.
   */
  policiesOf(functionId: string): { name: string; policy: { Version: string; Statement: unknown[] } }[] {
    const roleId = this.roleIdOf(functionId);
    const inline = (this.resources[roleId].Properties?.Policies ?? []).map((policy: any) => ({
      name: policy.PolicyName as string,
      policy: this.resolve(policy.PolicyDocument) as { Version: string; Statement: unknown[] },
    }));
    const outputs = Object.entries(this.stack.Outputs ?? {})
      .filter(([, output]) => JSON.stringify(output.Value) === JSON.stringify({ Ref: roleId }))
      .map(([name]) => name);
    const viaOutputs = this.others.flatMap((other) =>
      other.policiesNaming((role) => {
        const reference = (role as { 'Fn::GetStackOutput'?: { StackName: string; OutputName: string } })['Fn::GetStackOutput'];
        return reference?.StackName === this.stack.name && outputs.includes(reference.OutputName);
      }),
    );
    return [...inline, ...this.policiesNaming((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })), ...viaOutputs];
  }

  private policiesNaming(isTheRole: (role: unknown) => boolean) {
    return Object.entries(this.resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
      .filter(([, resource]) => (resource.Properties?.Roles ?? []).some(isTheRole))
      .map(([id, resource]) => ({
        name: `${this.stack.name}/${id}`,
        policy: this.resolve(resource.Properties?.PolicyDocument) as { Version: string; Statement: unknown[] },
      }));
  }

  /** What Lambda reads for a function from the streams it is mapped to, and where it sets failed batches aside. */
  eventSourcesOf(functionId: string): { eventSourceArn: string; onFailure?: string }[] {
    return Object.values(this.resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping')
      .filter((resource) => JSON.stringify(resource.Properties?.FunctionName) === JSON.stringify({ Ref: functionId }))
      .map((resource) => ({
        eventSourceArn: this.resolve(resource.Properties?.EventSourceArn) as string,
        onFailure: this.resolve(resource.Properties?.DestinationConfig?.OnFailure?.Destination) as string | undefined,
      }));
  }

  /** The role's ARN, as the principal of its calls. */
  roleArnOf(functionId: string): string {
    return this.getAtt(this.roleIdOf(functionId), 'Arn');
  }
}
