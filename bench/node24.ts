import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The major version Lambda runs the functions on (nodejs24.x): every figure is measured on it. */
export const LAMBDA_NODE_MAJOR = 24;
const REPOSITORY_ROOT = resolve(__dirname, '..');
/** Where a Node 24 from the npm registry is kept between runs, when the machine's Node is another. */
const CACHE = join(REPOSITORY_ROOT, 'node_modules', '.cache', `bench-node${LAMBDA_NODE_MAJOR}`);

/**
 * The path of a Node 24 binary: this process's own when it is one, else the
 * registry's `node-{platform}-{arch}@24` package (as CI's machines get theirs),
 * installed into node_modules/.cache once.
 */
export function lambdaNode(): string {
  if (Number(process.versions.node.split('.')[0]) === LAMBDA_NODE_MAJOR) return process.execPath;
  const packageName = `node-${process.platform}-${process.arch}`;
  const binary = join(CACHE, 'node_modules', packageName, 'bin', 'node');
  if (!existsSync(binary)) {
    console.error(
      `Node ${process.version} is not Lambda's: installing ${packageName}@${LAMBDA_NODE_MAJOR} from the npm registry`,
    );
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const install = spawnSync(
      npm,
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', CACHE, `${packageName}@${LAMBDA_NODE_MAJOR}`],
      {
        stdio: 'inherit',
      },
    );
    if (install.status !== 0 || !existsSync(binary)) throw new Error(`Could not install ${packageName}@${LAMBDA_NODE_MAJOR}`);
  }
  return binary;
}
