import type { Metafile } from 'esbuild';
import { bundleFunction } from '../../lib/private/function-bundle';
import { entryFile } from '../../lib/private/service-function';
import { HANDLERS } from '../../src/routes';
import { makeTempDir } from '../support/temp-dir';

/** DESIGN §15 P3 and P3h: what the functions that verify keys load before they can answer, and what any other handler does. */
const VERIFIER_BUDGET_BYTES = 64 * 1024;
const HANDLER_BUDGET_BYTES = 500 * 1024;

let directory: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  directory = await makeTempDir('function-bundle');
});
afterAll(() => directory.remove());

function bundle(module: string): Metafile {
  return bundleFunction(entryFile(module), `${directory.path}/${module}`);
}

/** The output files that loading the entry loads: the entry and, transitively, its static imports. */
function loadedAtInit(metafile: Metafile): string[] {
  // What Lambda loads for the functions' handler, `index.handler`.
  const entry = Object.keys(metafile.outputs).find((file) => file.endsWith('/index.mjs'));
  if (!entry) throw new Error('The bundle has no index.mjs');
  const loaded = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (loaded.has(file)) continue;
    loaded.add(file);
    for (const { path, kind } of metafile.outputs[file].imports) {
      if (kind === 'import-statement' && path in metafile.outputs) pending.push(path);
    }
  }
  return [...loaded];
}

const bytesOf = (metafile: Metafile, files: string[]) => files.reduce((sum, file) => sum + metafile.outputs[file].bytes, 0);

/** The packages whose code made it into these output files, by name. */
function packagesIn(metafile: Metafile, files: string[]): Set<string> {
  const packages = new Set<string>();
  for (const file of files) {
    for (const input of Object.keys(metafile.outputs[file].inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
      if (name) packages.add(name);
    }
  }
  return packages;
}

const allModules = (metafile: Metafile) => Object.keys(metafile.outputs).filter((file) => file.endsWith('.mjs'));

describe('bundleFunction, as esbuild tree-shakes it (its metafile)', () => {
  it.each(['authorizer', HANDLERS.verifyKey.entry])(
    'keeps %s within 64 KB at init, with neither zod, nor Powertools, nor any part of the AWS SDK but the signer and marshalling',
    (module) => {
      const metafile = bundle(module);
      const atInit = loadedAtInit(metafile);
      expect(bytesOf(metafile, atInit)).toBeLessThanOrEqual(VERIFIER_BUDGET_BYTES);
      expect(packagesIn(metafile, atInit).has('zod')).toBe(false);
      expect(packagesIn(metafile, atInit).has('@smithy/signature-v4')).toBe(true);
      // Not even in a chunk loaded later.
      const everything = packagesIn(metafile, allModules(metafile));
      expect([...everything].filter((name) => name.startsWith('@aws-lambda-powertools/'))).toEqual([]);
      expect([...everything].filter((name) => name.startsWith('@aws-sdk/')).sort()).toEqual(['@aws-sdk/util-dynamodb']);
    },
  );

  it('builds the authorizer with no zod in any chunk: its event has no body or query to check', () => {
    const metafile = bundle('authorizer');
    expect(packagesIn(metafile, allModules(metafile)).has('zod')).toBe(false);
  });

  it('builds whoami with no SDK at all: it only echoes the authorizer context', () => {
    const metafile = bundle(HANDLERS.whoami.entry);
    expect([...packagesIn(metafile, allModules(metafile))].filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
  });

  const handlers = Object.values(HANDLERS)
    .map((definition) => definition.entry)
    .filter((entry) => entry !== HANDLERS.verifyKey.entry);

  it.each(handlers)('keeps %s within 500 KB at init', (module) => {
    const metafile = bundle(module);
    expect(bytesOf(metafile, loadedAtInit(metafile))).toBeLessThanOrEqual(HANDLER_BUDGET_BYTES);
  });
});
