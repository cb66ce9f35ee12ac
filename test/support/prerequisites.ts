/**
 * The machine's optional prerequisites for some suites. Where one is missing,
 * those suites are skipped, and the test run says so plainly (test/setup/notices.ts).
 */
import { spawnSync } from 'node:child_process';

/** Whether `java -version` reports Java 17 or later: DynamoDB Local needs it. */
export function hasJava17(): boolean {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return false;
  const version = /version "(\d+)/.exec(`${result.stderr}${result.stdout}`);
  return version !== null && Number(version[1]) >= 17;
}

export const JAVA_NOTICE =
  'Skipping the DynamoDB Local conformance suites: they need Java 17 or later, and `java -version` found none. ' +
  'Install it (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless) to run them; every other suite ran.';

/** Debian's Chromium, which the browser suite drives with playwright-core (it downloads no browser of its own). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether Chromium is installed where the browser suite looks for it, and runs. */
export function hasChromium(): boolean {
  const result = spawnSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' });
  return !result.error && result.status === 0 && /Chromium/.test(result.stdout);
}

export const CHROMIUM_NOTICE =
  `Skipping the console's browser suite: it drives Chromium at ${CHROMIUM_PATH}, which is not installed. ` +
  'Install it (Debian/Ubuntu: sudo apt-get install -y chromium) to run it; every other suite ran.';

/** Whether AWS's CloudFormation linter runs: `cfn-lint --version` (it is a Python package, `pip install cfn-lint`). */
export function hasCfnLint(): boolean {
  const result = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return !result.error && result.status === 0 && /cfn-lint/.test(result.stdout);
}

export const CFN_LINT_NOTICE =
  "Skipping the cfn-lint suite: it runs AWS's CloudFormation linter, and `cfn-lint --version` failed. " +
  'Install it (pip install cfn-lint) to run it; every other suite ran.';

/**
 * A Node.js older than the package's `engines` (22), on this machine: `/usr/bin/node`
 * or another on the PATH. Local mode and the CLI must refuse it in one line.
 */
export function olderNode(): string | undefined {
  const which = spawnSync('which', ['-a', 'node'], { encoding: 'utf8' });
  const candidates = new Set(['/usr/bin/node', ...(which.stdout ?? '').split('\n').filter(Boolean)]);
  return [...candidates].find((path) => {
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' });
    const major = /^v(\d+)\./.exec(version.stdout ?? '')?.[1];
    return !version.error && version.status === 0 && major !== undefined && Number(major) < 22;
  });
}

export const OLDER_NODE_NOTICE =
  'Skipping the check that npm start and the CLI refuse a Node.js older than 22: this machine has none ' +
  '(looked at /usr/bin/node and `which -a node`); every other suite ran.';
