import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage, type Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { deployedSize } from './deployed-size';
import { bundleFunction } from './function-bundle';
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
  /**
   * Whether Node maps stack traces through the bundle's source maps at run time
   * (`--enable-source-maps`). The first stack read then parses a map: 33–46 ms
   * on the authorizer's bundle, against 0.3 unmapped (docs/performance.md). Worth
   * it where errors are rare and must be read; the maps ship in the asset either way.
   * @default true
   */
  readonly sourceMapsAtRuntime?: boolean;
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
    environment: {
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Source maps turn minified stack traces in error logs back into TypeScript lines.
      ...(props.sourceMapsAtRuntime === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
    },
  };
}

/**
 * One of the service's Lambdas: bundled with esbuild from lambdas/, on the
 * newest Node.js runtime Lambda offers, arm64, with its own log group and its
 * own role, which may write to that log group and nothing else until a grant
 * says otherwise.
 */
export function serviceFunction(scope: Construct, id: string, props: ServiceFunctionProps): LambdaFunction {
  const { entry, ...rest } = props;
  return bundledFunction(scope, id, { ...rest, entryFile: entryFile(entry) });
}

/**
 * A Lambda bundled from any source file, set up as the service's own are (see
 * serviceFunction). esbuild runs in this process, never in Docker (see
 * bundleFunction); the SDK is bundled, so the deployed code runs the versions
 * that were tested. The asset is named by its output.
 */
export function bundledFunction(scope: Construct, id: string, props: BundledFunctionProps): LambdaFunction {
  return withinEnvironmentLimit(
    new LambdaFunction(scope, id, {
      ...functionSettings(scope, id, props),
      code: bundledCode(props.entryFile),
    }),
  );
}

/** Lambda's limit on a function's environment, all variables together ("Lambda quotas", Lambda Developer Guide). */
export const ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Fails the synth, naming the limit, when the function's environment could
 * exceed 4 KB once deployed (each reference counted at its longest): Lambda
 * would refuse it only at deploy.
 */
export function withinEnvironmentLimit(fn: LambdaFunction): LambdaFunction {
  fn.node.addValidation({
    validate: () => {
      const environment = (fn.node.defaultChild as CfnFunction).environment;
      const size = environment === undefined ? 0 : deployedSize(fn, environment);
      return size > ENVIRONMENT_LIMIT_BYTES
        ? [
            `The environment of ${fn.node.path} could take ${size} bytes once deployed; Lambda allows ${ENVIRONMENT_LIMIT_BYTES} ` +
              '(4 KB of environment variables per function). Fewer plans, or shorter plan names, make it smaller.',
          ]
        : [];
    },
  });
  return fn;
}

/** The asset of a handler bundled by bundleFunction, with whatever `addToBundle` writes beside it. */
export function bundledCode(entry: string, addToBundle: (outputDirectory: string) => void = () => {}): Code {
  return Code.fromAsset(path.dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never pulled: local bundling always succeeds.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      // The CDK reuses one bundling of a directory for every asset with the same bundling options: the entry tells them apart.
      environment: { ENTRY: path.basename(entry) },
      local: {
        tryBundle(outputDirectory) {
          bundleFunction(entry, outputDirectory);
          addToBundle(outputDirectory);
          return true;
        },
      },
    },
  });
}
