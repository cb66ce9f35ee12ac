/**
 * Imported first by local mode and the CLI: on a Node.js older than the
 * package's `engines`, they stop in one line, before anything else loads.
 * Node 22 is the oldest the AWS SDK supports from January 2027; the deployed
 * functions run on Node 24.
 */
const MINIMUM_MAJOR = 22;

const [major] = process.versions.node.split('.').map(Number);
if (major < MINIMUM_MAJOR) {
  process.stderr.write(
    `Node.js ${MINIMUM_MAJOR} or later is needed, and this is Node.js ${process.versions.node}: install Node.js 22 or 24.\n`,
  );
  process.exit(1);
}
