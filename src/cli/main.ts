/** The `api-keys` command. */
import '../node-version';
import { runCli } from './program';

// Output piped into a reader that stops early (`| head`) ends the command quietly, as other CLIs do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

runCli(
  process.argv,
  { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  process.env,
).then((code) => {
  process.exitCode = code;
});
