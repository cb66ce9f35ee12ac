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
