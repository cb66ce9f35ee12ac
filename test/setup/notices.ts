/** Jest global setup: tell the person running the tests, once, which suites this machine cannot run. */
import {
  CFN_LINT_NOTICE,
  CHROMIUM_NOTICE,
  hasCfnLint,
  hasChromium,
  hasJava17,
  JAVA_NOTICE,
  OLDER_NODE_NOTICE,
  olderNode,
} from '../support/prerequisites';

export default function notices(): void {
  if (!hasJava17()) process.stdout.write(`\n${JAVA_NOTICE}\n\n`);
  if (!hasChromium()) process.stdout.write(`\n${CHROMIUM_NOTICE}\n\n`);
  if (!hasCfnLint()) process.stdout.write(`\n${CFN_LINT_NOTICE}\n\n`);
  if (!olderNode()) process.stdout.write(`\n${OLDER_NODE_NOTICE}\n\n`);
}
