/** The documentation stands alone: every link in README.md and docs/ resolves inside the repository. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const REPOSITORY = resolve(__dirname, '../..');
const DOCUMENTS = ['README.md', ...readdirSync(join(REPOSITORY, 'docs')).map((name) => `docs/${name}`)].filter((file) =>
  file.endsWith('.md'),
);

describe.each(DOCUMENTS)('%s', (document) => {
  const text = readFileSync(join(REPOSITORY, document), 'utf8');
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target);

  it('links only to files of this repository, or to public web pages', () => {
    for (const target of links.filter((link) => !/^(https?:|mailto:|#)/.test(link))) {
      const file = resolve(dirname(join(REPOSITORY, document)), target.split('#')[0]);
      expect({ target, inside: !relative(REPOSITORY, file).startsWith('..'), exists: existsSync(file) }).toEqual({
        target,
        inside: true,
        exists: true,
      });
    }
  });
});
