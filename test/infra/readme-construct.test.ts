import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The README's construct examples, which a reader would put next to lib/api-key-service.ts. */
function constructSectionBlocks(): string[] {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- section:construct -->'), readme.indexOf('<!-- /section:construct -->'));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map(([, code]) => code);
}

/** An example file as the README prints it: imported from next to the construct. */
function asPrinted(file: string): string {
  return readFileSync(resolve(__dirname, file), 'utf8').replaceAll("'../../lib/", "'./");
}

describe('the README construct section', () => {
  it('prints exactly the example files that tsc type-checks against the construct', () => {
    expect(constructSectionBlocks()).toEqual([asPrinted('readme-example-stacks.ts'), asPrinted('readme-example-handler.ts')]);
  });
});
