/**
 * Local mode's memory under load: starts `npm start` on a fresh DATA_DIR and
 * sends it mixed requests (mostly the index Queries that listing and reading
 * keys make, plus authentications, creates, updates, rotations and deletes),
 * printing the server process's resident set size (RSS) as it goes.
 *
 *   node --import tsx bench/local-memory.ts [requests, default 100000] [concurrency, default 8]
 *
 * Linux only (it reads /proc). Not part of npm test: it takes a few minutes.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { ApiKeyServiceClient, SelfServiceClient } from '../src/client';
import { startLocalServer } from '../test/support/local-server-process';
import { makeTempDir } from '../test/support/temp-dir';

const REQUESTS = Number(process.argv[2] ?? 100_000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const SAMPLES = 10;
const ADMIN = { accessKeyId: 'AKIABENCHMEMORY00000', secretAccessKey: 'bench-memory-secret-000000000000000000000' };
const TENANTS = ['alpha', 'beta', 'gamma', 'delta'];
/** Keys kept per tenant: deletes keep each tenant's list short, so a list's cost stays the same throughout. */
const KEYS_PER_TENANT = 30;

interface Key {
  tenant: string;
  id: string;
  /** The typed client that calls with this key. */
  own: SelfServiceClient;
}

function rssMiB(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`No VmRSS for ${pid}`);
  return Math.round(Number(line[1]) / 1024);
}

async function main(): Promise<void> {
  const dataDir = await makeTempDir('bench-memory');
  const server = await startLocalServer(
    {
      DATA_DIR: dataDir.path,
      ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
      ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
      // Every authentication reaches the table, as a cache miss does.
      AUTHORIZER_CACHE_TTL_SECONDS: '0',
    },
    60_000,
  );
  const pid = server.serverPid();
  // No retries: any answer but success stops the run.
  const endpoint = server.baseUrl;
  const admin = new ApiKeyServiceClient({ endpoint, credentials: ADMIN, maxRetries: 0 });
  const keys: Key[] = [];
  const create = async (tenant: string) => {
    const created = await admin.createKey(tenant, { name: 'bench', scopes: ['keys:manage'] });
    keys.push({ tenant, id: created.id, own: new SelfServiceClient({ endpoint, apiKey: created.key, maxRetries: 0 }) });
  };
  try {
    for (const tenant of TENANTS) for (let i = 0; i < KEYS_PER_TENANT; i++) await create(tenant);
    const pick = () => keys[Math.floor(Math.random() * keys.length)];

    /** One request of the mix; a refusal (an ApiProblemError) stops the run. */
    async function oneRequest(n: number): Promise<unknown> {
      const slot = n % 100;
      const key = pick();
      if (slot < 40) return admin.listKeys(key.tenant, { limit: 20 });
      if (slot < 60) return admin.getKey(key.tenant, key.id);
      if (slot < 85) return key.own.whoami();
      if (slot < 90) return key.own.listKeys({ limit: 10 });
      if (slot < 94) return admin.updateKey(key.tenant, key.id, { name: `n${n}` });
      // A create and a delete keep the number of keys as it is.
      if (slot < 97) return create(key.tenant);
      keys.splice(keys.indexOf(key), 1);
      return admin.deleteKey(key.tenant, key.id);
    }

    const samples: [number, number][] = [[0, rssMiB(pid)]];
    console.log(`server pid ${pid}, ${REQUESTS} requests, ${CONCURRENCY} at a time; RSS after setup ${samples[0][1]} MiB`);
    let next = 0;
    let done = 0;
    const sampleEvery = Math.ceil(REQUESTS / SAMPLES);
    const startedAt = Date.now();
    const worker = async () => {
      while (next < REQUESTS) {
        await oneRequest(next++);
        done++;
        if (done % sampleEvery === 0) {
          samples.push([done, rssMiB(pid)]);
          const seconds = ((Date.now() - startedAt) / 1000).toFixed(0);
          console.log(`${String(done).padStart(7)} requests (${seconds.padStart(4)} s): RSS ${samples.at(-1)?.[1]} MiB`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (Date.now() - startedAt) / 1000;
    const peak = Math.max(...samples.map(([, rss]) => rss));
    console.log(
      [
        '',
        `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
        `${REQUESTS} requests in ${seconds.toFixed(0)} s`,
        `RSS: ${samples[0][1]} MiB after setup, ${samples.at(-1)?.[1]} MiB at the end, ${peak} MiB at most`,
      ].join('\n'),
    );
  } finally {
    await server.stop();
    await dataDir.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
