// DESIGN §15's TLS floor: the least any function that talks to DynamoDB can do,
// importing node:https and making one request over TLS to the bench's local
// endpoint (TLS_FLOOR_URL). It prints the CPU its process used, in µs.
import { request } from 'node:https';

await new Promise((resolve, reject) => {
  request(process.env.TLS_FLOOR_URL, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0' } }, (answer) => {
    answer.resume();
    answer.on('end', resolve);
  })
    .on('error', reject)
    .end('{}');
});
const { user, system } = process.cpuUsage();
// Exits once the line is out: whatever the measured code wrote before it is flushed first.
process.stdout.write(`bench-result ${JSON.stringify({ cpuMicroseconds: user + system })}\n`, () => process.exit(0));
