/**
 * Builds the console's browser assets with esbuild: one minified ES module that
 * defines `<api-key-console>` (lit included), named by its content hash so it can
 * be cached for good, plus the unhashed favicon. The CDK construct builds it into
 * the console function's package; local mode builds it at start.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { CONSOLE_MANIFEST, type ConsoleManifest } from './console-manifest';

/** console/, next to this package's src/: beside the sources in the repository, two levels up from dist/src in the package. */
const CONSOLE_SOURCES = [resolve(__dirname, '..', 'console'), resolve(__dirname, '..', '..', 'console')].find((candidate) =>
  existsSync(join(candidate, 'api-key-console.ts')),
);

const FAVICON = 'favicon.svg';

/** Writes the assets and their manifest into `outputDirectory`, replacing what was there. */
export function buildConsoleAssets(outputDirectory: string): ConsoleManifest {
  if (!CONSOLE_SOURCES) throw new Error('The console sources (console/api-key-console.ts) are missing from this package');
  rmSync(outputDirectory, { recursive: true, force: true });
  mkdirSync(outputDirectory, { recursive: true });
  const result = buildSync({
    entryPoints: [join(CONSOLE_SOURCES, 'api-key-console.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    entryNames: 'api-key-console-[hash]',
    outdir: outputDirectory,
    tsconfig: join(CONSOLE_SOURCES, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
  });
  const [script] = Object.keys(result.metafile.outputs).map((file) => basename(file));
  copyFileSync(join(CONSOLE_SOURCES, FAVICON), join(outputDirectory, FAVICON));
  const manifest: ConsoleManifest = { script, files: [script, FAVICON] };
  writeFileSync(join(outputDirectory, CONSOLE_MANIFEST), JSON.stringify(manifest));
  return manifest;
}
