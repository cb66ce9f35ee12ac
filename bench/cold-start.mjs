// One cold start of a deployed function's bundle, as Lambda makes it: the
// module imported (FUNCTION_ENTRY), then its first invocation with the event in
// FIRST_EVENT. It prints the CPU its process used by then, in µs, and what
// the invocation answered, so the bench can tell it did its work.
const { handler } = await import(process.env.FUNCTION_ENTRY);
let answer;
try {
  // Only what tells the outcome: a response's body may hold a key just issued.
  const { statusCode, principalId } = await handler(JSON.parse(process.env.FIRST_EVENT));
  answer = { statusCode, principalId };
} catch (error) {
  answer = { error: error instanceof Error ? error.message : String(error) };
}
const { user, system } = process.cpuUsage();
// Exits once the line is out: whatever the measured code wrote before it is flushed first.
process.stdout.write(`bench-result ${JSON.stringify({ cpuMicroseconds: user + system, answer })}\n`, () => process.exit(0));
