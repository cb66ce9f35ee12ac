/** Jest global setup: tell the person running the tests, once, which suites this machine cannot run. */
import { CHROMIUM_NOTICE, hasChromium, hasJava17, JAVA_NOTICE } from '../support/prerequisites';

export default function notices(): void {
  if (!hasJava17()) process.stdout.write(`\n${JAVA_NOTICE}\n\n`);
  if (!hasChromium()) process.stdout.write(`\n${CHROMIUM_NOTICE}\n\n`);
}
