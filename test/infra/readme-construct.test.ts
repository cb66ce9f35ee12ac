import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** docs/construct.md's examples, as a CDK app that installed the package would hold them. */
function constructSectionBlocks(): string[] {
  const readme = readFileSync(resolve(__dirname, '../../docs/construct.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- section:construct -->'), readme.indexOf('<!-- /section:construct -->'));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map(([, code]) => code);
}

/** An example file as the docs print it: the construct imported from the package. */
function asPrinted(file: string): string {
  return readFileSync(resolve(__dirname, file), 'utf8').replaceAll("'../../lib'", "'api-key-service'");
}

describe('the construct guide', () => {
  it('prints exactly the example files that tsc type-checks against the construct', () => {
    expect(constructSectionBlocks()).toEqual([asPrinted('readme-example-stacks.ts'), asPrinted('readme-example-handler.ts')]);
  });
});
