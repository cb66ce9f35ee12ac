/**
 * Jest transform for the ESM-only packages the functions use (jose): Jest's own
 * module system loads CommonJS, so they are compiled to it with esbuild, as the
 * deployed bundles compile them.
 */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'node20',
      sourcemap: true,
      sourcefile: filename,
    });
    return { code, map };
  },
};
