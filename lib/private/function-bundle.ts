import { buildSync, type Metafile } from 'esbuild';

/**
 * Bundles one Lambda's handler into `outputDirectory`, as ES modules that Node
 * loads on demand: the entry and the chunks it imports statically are what the
 * function's init loads; what the SDK imports dynamically (the credential
 * providers past the environment's, which Lambda's own credentials never reach;
 * event streams; browser-only code) stays in chunks of its own, loaded only if
 * ever called. ESM lets esbuild take packages' `module` builds, which shake
 * better than their CommonJS ones. Each file gets its source map beside it,
 * for reading a deployed stack trace (docs/performance.md).
 */
export function bundleFunction(entryFile: string, outputDirectory: string): Metafile {
  const { metafile } = buildSync({
    // index.mjs: the file Lambda loads for the functions' handler, `index.handler`.
    entryPoints: { index: entryFile },
    outdir: outputDirectory,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    mainFields: ['module', 'main'],
    // The handlers are CommonJS where they run unbundled (locally, under tsx and jest).
    define: { __dirname: 'import.meta.dirname' },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  });
  return metafile;
}
