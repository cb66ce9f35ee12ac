/**
 * Local mode on a machine other users share: the embedded DynamoDB has no port
 * of its own, and answers only requests signed with this process's own SDK
 * credentials; DATA_DIR and everything in it are private to the user running it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { generateKey } from '../../src/domain/key-format';
import { call, signedCall } from '../support/api-client';
import { listeningTcpPorts } from '../support/listening-ports';
import { type LocalServerProcess, startLocalServer, startLocalServerExpectingRefusal } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2ESHARED0000000', secretAccessKey: 'shared-secret-000000000000000000000000' };
const NOBODY = 65534;
let server: LocalServerProcess;
let parent: Awaited<ReturnType<typeof makeTempDir>>;
let dataDir: string;

beforeAll(async () => {
  parent = await makeTempDir('e2e-shared');
  // mkdtemp makes the parent 0700; open it, so that only DATA_DIR's own mode keeps others out.
  await chmod(parent.path, 0o755);
  dataDir = join(parent.path, 'data');
  server = await startLocalServer({
    DATA_DIR: dataDir,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
  // Something in the table, so that its files exist.
  expect((await signedCall(server.baseUrl, ADMIN, 'POST', '/tenants/owner/keys', { body: { name: 'Mine' } })).status).toBe(201);
});

afterAll(async () => {
  try {
    await server?.stop(); // fails if it leaves a process behind
  } finally {
    await parent?.remove();
  }
});

/** Every directory and file under `root`, with its permission bits. */
async function modesUnder(root: string): Promise<{ path: string; mode: number }[]> {
  const found: { path: string; mode: number }[] = [];
  for (const name of await readdir(root)) {
    const path = join(root, name);
    const info = await lstat(path);
    found.push({ path, mode: info.mode & 0o777 });
    if (info.isDirectory()) found.push(...(await modesUnder(path)));
  }
  return found;
}

/** An item as the store writes it: a working key for a tenant, if the write were let in. */
function plantedItem(key: string) {
  return {
    keyHash: { S: createHash('sha256').update(key, 'utf8').digest('hex') },
    keyId: { S: 'key_01JPLANTED0000000000000000' },
    tenantId: { S: 'victim' },
    name: { S: 'Planted' },
    hint: { S: key.slice(-4) },
    scopes: { L: [{ S: 'keys:manage' }] },
    enabled: { BOOL: true },
    createdAt: { S: new Date().toISOString() },
  };
}

describe('the embedded DynamoDB', () => {
  // Which sockets a process listens on only /proc tells (Linux).
  (existsSync('/proc/net/tcp') ? it : it.skip)(
    'has no TCP port: the server listens on its own port and the console’s OpenID provider’s only',
    () => {
      const issuer = /local OpenID provider (http:\/\/\S+),/.exec(server.output())?.[1] as string;
      expect(listeningTcpPorts(server.serverPid()).sort()).toEqual(
        [Number(new URL(server.baseUrl).port), Number(new URL(issuer).port)].sort(),
      );
    },
  );

  it('refuses DynamoDB requests signed with anything but the server’s own SDK credentials, as DynamoDB does', async () => {
    const key = generateKey('ak');
    const attempts: [string, { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, string][] = [
      [
        'someone else’s credentials',
        { accessKeyId: 'AKIAINTRUDER00000000', secretAccessKey: 'x' },
        'UnrecognizedClientException',
      ],
      [
        'the server’s access key id with a guessed secret',
        { accessKeyId: 'LOCAL', secretAccessKey: 'guess' },
        'InvalidSignatureException',
      ],
      [
        'a made-up session token',
        { accessKeyId: 'LOCAL', secretAccessKey: 'guess', sessionToken: 'token' },
        'UnrecognizedClientException',
      ],
    ];
    for (const [, credentials, errorName] of attempts) {
      const client = new DynamoDBClient({ endpoint: server.baseUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
      try {
        await expect(client.send(new PutItemCommand({ TableName: 'api-keys', Item: plantedItem(key) }))).rejects.toMatchObject({
          name: errorName,
          $metadata: { httpStatusCode: 400 },
        });
      } finally {
        client.destroy();
      }
    }

    const unsigned = await fetch(server.baseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
      body: JSON.stringify({ TableName: 'api-keys', Item: plantedItem(key) }),
    });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe(
      'com.amazon.coral.service#MissingAuthenticationTokenException',
    );

    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status).toBe(401);
    expect((await signedCall(server.baseUrl, ADMIN, 'GET', '/tenants/victim/keys')).json.items).toEqual([]);
  });
});

describe('DATA_DIR', () => {
  it('is 0700, and nothing in it can be read or written by other users', async () => {
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const entries = await modesUnder(dataDir);
    expect(entries.map(({ path }) => path)).toEqual(expect.arrayContaining([join(dataDir, 'dynamodb')]));
    expect(entries.filter(({ mode }) => (mode & 0o077) !== 0)).toEqual([]);
  });

  (process.getuid?.() === 0 ? it : it.skip)('cannot be listed or read by another user', () => {
    const script = `const fs = require('fs'); for (const path of process.argv.slice(1)) { try { fs.readdirSync(path); console.log('read ' + path); } catch (e) { console.log(e.code); } }`;
    const result = spawnSync(process.execPath, ['-e', script, dataDir, join(dataDir, 'dynamodb')], {
      uid: NOBODY,
      gid: NOBODY,
      encoding: 'utf8',
    });
    expect(result.stdout.trim().split('\n')).toEqual(['EACCES', 'EACCES']);
  });

  it('is made private at start when it and its files were open to others', async () => {
    const openDir = join(parent.path, 'was-open');
    await mkdir(join(openDir, 'dynamodb'), { recursive: true, mode: 0o777 });
    await chmod(openDir, 0o755);
    await chmod(join(openDir, 'dynamodb'), 0o777);
    await writeFile(join(openDir, 'notes.txt'), 'mine\n', { mode: 0o644 });
    await chmod(join(openDir, 'notes.txt'), 0o644);
    const reopened = await startLocalServer({
      DATA_DIR: openDir,
      ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
      ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
    });
    try {
      expect((await stat(openDir)).mode & 0o777).toBe(0o700);
      expect((await modesUnder(openDir)).filter(({ mode }) => (mode & 0o077) !== 0)).toEqual([]);
      expect(reopened.output()).toContain(`Made ${openDir} private`);
    } finally {
      await reopened.stop();
    }
  });

  it('is refused, creating nothing, when it belongs to another user', async () => {
    const uid = process.getuid?.();
    // As root, a directory handed to nobody; otherwise a directory root owns.
    const foreign = uid === 0 ? join(parent.path, 'theirs') : '/';
    if (uid === 0) {
      await mkdir(foreign, { mode: 0o755 });
      await chown(foreign, NOBODY, NOBODY);
    }
    const before = await readdir(foreign);
    const refused = await startLocalServerExpectingRefusal({ DATA_DIR: foreign });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toBe(`DATA_DIR ${foreign} belongs to another user; use a directory of your own.\n`);
    expect(await readdir(foreign)).toEqual(before);
  });
});
