/**
 * A DynamoDB-compatible endpoint in a process of its own, so that it can be
 * killed outright: `node --import tsx test/support/dynalite-process.ts <path>`
 * serves the LevelDB store in <path> and prints its endpoint. It exits when its
 * standard input ends, so it never outlives the process that started it.
 */
import { startDynaliteServer } from './dynalite-server';

async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) throw new Error('Usage: dynalite-process.ts <path>');
  const server = await startDynaliteServer({ path });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  console.log(`DynamoDB endpoint ${server.endpoint}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
