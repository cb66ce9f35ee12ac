/**
 * `npm run build`'s second step: the `api-key-service/console` export, as the package
 * publishes it in dist/console/. The web component is one ES module (lit left to the
 * importer's bundler, so an app that uses lit itself holds one copy) with its type
 * declarations, and the favicon the construct serves beside it. ES module only: the
 * component runs in browsers, and lit is published as ES modules only.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import ts from 'typescript';

const SOURCES = resolve(__dirname, '..', 'console');
const ENTRY = join(SOURCES, 'api-key-console.ts');
const OUTPUT = resolve(__dirname, '..', 'dist', 'console');

/** The entry's declarations, from the console's own compiler settings; fails on any type error. */
function declarations(): string {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(SOURCES, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('console/tsconfig.json could not be read');
  const program = ts.createProgram({
    rootNames: [ENTRY],
    options: { ...config.options, noEmit: false, declaration: true, emitDeclarationOnly: true },
  });
  const problems = ts.getPreEmitDiagnostics(program);
  if (problems.length > 0)
    throw new Error(
      ts.formatDiagnostics(problems, {
        ...ts.sys,
        getCanonicalFileName: (name) => name,
        getCurrentDirectory: ts.sys.getCurrentDirectory,
        getNewLine: () => '\n',
      }),
    );
  let text: string | undefined;
  program.emit(
    program.getSourceFile(ENTRY),
    (_file, content) => {
      text = content;
    },
    undefined,
    true,
  );
  if (text === undefined) throw new Error('TypeScript emitted no declarations for the console');
  return text;
}

rmSync(OUTPUT, { recursive: true, force: true });
mkdirSync(OUTPUT, { recursive: true });
buildSync({
  entryPoints: [ENTRY],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  external: ['lit', 'lit/*'],
  outfile: join(OUTPUT, 'api-key-console.mjs'),
  tsconfig: join(SOURCES, 'tsconfig.json'),
  logLevel: 'warning',
});
writeFileSync(join(OUTPUT, 'api-key-console.d.mts'), declarations());
copyFileSync(join(SOURCES, 'favicon.svg'), join(OUTPUT, 'favicon.svg'));
