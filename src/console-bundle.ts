/**
 * Builds the console's browser assets with esbuild: one minified ES module that
 * defines `<api-key-console>` (lit included), named by its content hash so it can
 * be cached for good, plus the unhashed favicon. The CDK construct builds it into
 * the console function's package; local mode builds it at start. In the repository
 * the component is bundled from its TypeScript; in the package, from the module
 * the package publishes as `api-key-service/console` (bin/build-console.ts).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { CONSOLE_MANIFEST, type ConsoleManifest } from './console-manifest';

/** The console beside src/: console/ in the repository, dist/console/ (beside dist/src/) in the package. */
const CONSOLE_DIRECTORY = resolve(__dirname, '..', 'console');
const SOURCE_ENTRY = join(CONSOLE_DIRECTORY, 'api-key-console.ts');
const PUBLISHED_ENTRY = join(CONSOLE_DIRECTORY, 'api-key-console.mjs');

const FAVICON = 'favicon.svg';

/** Writes the assets and their manifest into `outputDirectory`, replacing what was there. */
export function buildConsoleAssets(outputDirectory: string): ConsoleManifest {
  const fromSource = existsSync(SOURCE_ENTRY);
  if (!fromSource && !existsSync(PUBLISHED_ENTRY)) {
    throw new Error(`The console is missing from this package: neither ${SOURCE_ENTRY} nor ${PUBLISHED_ENTRY} exists`);
  }
  rmSync(outputDirectory, { recursive: true, force: true });
  mkdirSync(outputDirectory, { recursive: true });
  const result = buildSync({
    entryPoints: [fromSource ? SOURCE_ENTRY : PUBLISHED_ENTRY],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    entryNames: 'api-key-console-[hash]',
    outdir: outputDirectory,
    ...(fromSource ? { tsconfig: join(CONSOLE_DIRECTORY, 'tsconfig.json') } : {}),
    metafile: true,
    logLevel: 'warning',
  });
  const [script] = Object.keys(result.metafile.outputs).map((file) => basename(file));
  copyFileSync(join(CONSOLE_DIRECTORY, FAVICON), join(outputDirectory, FAVICON));
  const manifest: ConsoleManifest = { script, files: [script, FAVICON] };
  writeFileSync(join(outputDirectory, CONSOLE_MANIFEST), JSON.stringify(manifest));
  return manifest;
}
