import { join } from 'node:path';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ENV } from '../../src/config';
import { buildConsoleAssets } from '../../src/console-bundle';
import { HANDLERS } from '../../src/routes';
import { bundledCode, entryFile, functionSettings, type ServiceFunctionProps, withinEnvironmentLimit } from './service-function';

/** Where the assets go in the function's package, beside its bundle: CONSOLE_ASSETS_DIR, relative to it. */
const ASSETS_DIRECTORY = 'console';

/**
 * The console page's function: its handler bundled like every other, and the
 * console's browser assets built beside it, in the same package. Both are built
 * by esbuild in this process (never in Docker); the asset is named by its output.
 */
export function consoleFunction(scope: Construct, id: string, props: Omit<ServiceFunctionProps, 'entry'>): LambdaFunction {
  const handlerEntry = entryFile(HANDLERS.consolePage.entry);
  const fn = withinEnvironmentLimit(
    new LambdaFunction(scope, id, {
      ...functionSettings(scope, id, props),
      code: bundledCode(handlerEntry, (outputDirectory) => buildConsoleAssets(join(outputDirectory, ASSETS_DIRECTORY))),
    }),
  );
  fn.addEnvironment(ENV.consoleAssetsDir, ASSETS_DIRECTORY);
  return fn;
}
