import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeTracingPermissions } from './nag-acknowledgements';

/** lambdas/, next to this package's lib/: TypeScript sources in the repository, compiled JavaScript in the package. */
const LAMBDAS_DIRECTORY = path.resolve(__dirname, '..', '..', 'lambdas');

/** The file of a module under lambdas/, whichever form this copy of the package has. */
export function entryFile(module: string): string {
  const typescript = path.join(LAMBDAS_DIRECTORY, `${module}.ts`);
  return existsSync(typescript) ? typescript : path.join(LAMBDAS_DIRECTORY, `${module}.js`);
}

export interface ServiceFunctionProps {
  /** The module under lambdas/ that exports `handler`. */
  readonly entry: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly logRetention: RetentionDays;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** @default - none: the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

export type BundledFunctionProps = Omit<ServiceFunctionProps, 'entry'> & {
  /** The source file that exports `handler`. */
  readonly entryFile: string;
};

/** A function's own log group and role: it may write to that log group and nothing else until a grant says otherwise. */
function logsAndRole(scope: Construct, id: string, logRetention: RetentionDays) {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: logRetention });
  // Our own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return { logGroup, role };
}

/** What every function of the service runs with, however its code is bundled. */
export function functionSettings(scope: Construct, id: string, props: Omit<ServiceFunctionProps, 'entry'>) {
  const { logGroup, role } = logsAndRole(scope, id, props.logRetention);
  if (props.tracing) acknowledgeTracingPermissions(role);
  return {
    handler: 'index.handler',
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    timeout: props.timeout,
    memorySize: props.memorySize,
    logGroup,
    role,
    tracing: props.tracing ? Tracing.ACTIVE : undefined,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    loggingFormat: LoggingFormat.JSON,
    // Lambda drops anything below INFO even if the Powertools level is raised by hand.
    applicationLogLevelV2: ApplicationLogLevel.INFO,
    systemLogLevelV2: SystemLogLevel.WARN,
    // Source maps turn minified stack traces in error logs back into TypeScript lines.
    environment: { POWERTOOLS_LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps' },
  };
}

/**
 * One of the service's Lambdas: bundled with esbuild from lambdas/, on the
 * newest Node.js runtime Lambda offers, arm64, with its own log group and its
 * own role, which may write to that log group and nothing else until a grant
 * says otherwise.
 */
export function serviceFunction(scope: Construct, id: string, props: ServiceFunctionProps): NodejsFunction {
  const { entry, ...rest } = props;
  return bundledFunction(scope, id, { ...rest, entryFile: entryFile(entry) });
}

/** A Lambda bundled from any source file, set up as the service's own are (see serviceFunction). */
export function bundledFunction(scope: Construct, id: string, props: BundledFunctionProps): NodejsFunction {
  return new NodejsFunction(scope, id, {
    ...functionSettings(scope, id, props),
    entry: props.entryFile,
    handler: 'handler',
    bundling: {
      // The SDK is bundled, so the deployed code runs the versions that were tested.
      bundleAwsSDK: true,
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      logLevel: LogLevel.WARNING,
    },
  });
}
