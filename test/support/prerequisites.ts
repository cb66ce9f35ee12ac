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
