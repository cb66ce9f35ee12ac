/**
 * No module imports itself, however far round: data flows one way (edge, handler,
 * domain, store), and a circle, even one closed by a type import, means two
 * modules that cannot be read or changed apart. The imports are TypeScript's own
 * reading of each file (type imports, re-exports and dynamic imports included),
 * resolved as the compiler resolves them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '../..');
const FOLDERS = ['src', 'lib', 'lambdas', 'local', 'console', 'bin', 'bench', 'examples'];

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(folder, file));
}

const COMPILER_OPTIONS: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 };

/** Each file's imports of other files of the project, as project-relative paths. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const absolute = join(ROOT, file);
    const { importedFiles } = ts.preProcessFile(readFileSync(absolute, 'utf8'), true, true);
    const targets = importedFiles
      .map(({ fileName }) => ts.resolveModuleName(fileName, absolute, COMPILER_OPTIONS, ts.sys).resolvedModule)
      .filter((resolved): resolved is ts.ResolvedModuleFull => resolved !== undefined && !resolved.isExternalLibraryImport)
      .map((resolved) => relative(ROOT, resolved.resolvedFileName))
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every strongly connected set of two or more files (or a file importing itself), each sorted: the circles. */
function circles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    lowLink.set(file, index.get(file) as number);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        lowLink.set(file, Math.min(lowLink.get(file) as number, lowLink.get(target) as number));
      } else if (onStack.has(target)) {
        lowLink.set(file, Math.min(lowLink.get(file) as number, index.get(target) as number));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

describe('imports', () => {
  const graph = importGraph(FOLDERS.flatMap(sourceFiles));

  it('reads the whole code base, type imports included', () => {
    // A resolution that silently failed would leave the graph without edges, and so without circles.
    expect(graph.get('lib/api-key-service.ts')).toContain('lib/protected-rest-api.ts');
    expect(graph.get('local/server.ts')?.length).toBeGreaterThan(10);
    // `import type { TableAction } from '../src/routes'`, which leaves nothing in the compiled module.
    expect(graph.get('lib/key-table.ts')).toContain('src/routes.ts');
  });

  it('make no circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('finds every circle, of any length', () => {
    expect(
      circles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['a.ts']],
          ['d.ts', ['d.ts']],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
  });
});
