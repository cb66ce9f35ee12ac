/**
 * Metadata names as clients send them, against `npm start`: every name on
 * Object.prototype, and names of the documented pattern, round-trip through
 * create and PATCH, on the admin and the self-service routes, and reach
 * `POST /verify`; the names outside the pattern (`__proto__`, `__defineGetter__`
 * …) are refused with 400 at `meta.{name}`, and change nothing.
 */
import fc from 'fast-check';
import { type ApiResponse, call, signedCall } from '../support/api-client';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { makeTempDir } from '../support/temp-dir';

const ADMIN = { accessKeyId: 'AKIAE2EMETANAMES0000', secretAccessKey: 'meta-names-secret-00000000000000000000000' };
const TENANT = 'prototypes';
/** The documented pattern of a metadata name (docs/keys.md). */
const META_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,31}$/;
/** constructor, hasOwnProperty, toString, valueOf, __proto__, __defineGetter__ …: the names a plain object already has. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let manager: string;

beforeAll(async () => {
  dataDir = await makeTempDir('e2e-meta-names');
  server = await startLocalServer({
    DATA_DIR: dataDir.path,
    ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
    ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
  });
  const created = await signedCall(server.baseUrl, ADMIN, 'POST', `/tenants/${TENANT}/keys`, {
    body: { name: 'Manager', scopes: ['keys:manage'] },
  });
  expect(created.status).toBe(201);
  manager = created.json.key;
});

afterAll(async () => {
  try {
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

/** A body whose `meta` holds `name` as its own member, whatever the name: written as text, as a client sends it. */
const bodyWith = (fields: Record<string, unknown>, name: string, value: string) =>
  `{${Object.entries(fields)
    .map(([field, fieldValue]) => `${JSON.stringify(field)}:${JSON.stringify(fieldValue)},`)
    .join('')}"meta":{${JSON.stringify(name)}:${JSON.stringify(value)}}}`;
const JSON_BODY = { 'content-type': 'application/json' };

/** The admin and the self-service routes to one tenant's keys. */
const callers = {
  admin: {
    keys: `/tenants/${TENANT}/keys`,
    send: (method: string, path: string, body?: string) =>
      signedCall(server.baseUrl, ADMIN, method, path, { body, headers: body ? JSON_BODY : {} }),
  },
  'self-service': {
    keys: '/keys',
    send: (method: string, path: string, body?: string) =>
      call(server.baseUrl, method, path, { apiKey: manager, body, headers: body ? JSON_BODY : {} }),
  },
};

const metaOf = (response: ApiResponse) => Object.entries(response.json.meta);

describe.each(Object.entries(callers))('metadata names, %s', (_, caller) => {
  it('round-trip through create, PATCH and /verify when they match the pattern, and are refused at meta.{name} when not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.stringMatching(META_NAME)), async (name) => {
        const created = await caller.send('POST', caller.keys, bodyWith({ name: 'meta' }, name, 'first'));
        if (!META_NAME.test(name)) {
          expect(created.status).toBe(400);
          expect(created.json.errors).toEqual([{ path: `meta.${name}`, message: expect.any(String) }]);
          return;
        }
        expect(created.status).toBe(201);
        expect(metaOf(created)).toEqual([[name, 'first']]);
        const path = `${caller.keys}/${created.json.id}`;
        expect(metaOf(await caller.send('GET', path))).toEqual([[name, 'first']]);

        const changed = await caller.send('PATCH', path, bodyWith({}, name, 'second'));
        expect(changed.status).toBe(200);
        expect(metaOf(changed)).toEqual([[name, 'second']]);
        expect(metaOf(await caller.send('GET', path))).toEqual([[name, 'second']]);
        const verified = await signedCall(server.baseUrl, ADMIN, 'POST', '/verify', { body: { key: created.json.key } });
        expect(Object.entries(verified.json.meta)).toEqual([[name, 'second']]);
      }),
      // Every name of Object.prototype, then names of the pattern at random.
      { examples: PROTOTYPE_NAMES.map((name) => [name]), numRuns: 20 },
    );
  });

  it('refuses a PATCH to a name outside the pattern, and keeps the metadata it had', async () => {
    const created = await caller.send('POST', caller.keys, bodyWith({ name: 'kept' }, 'owner', 'ops'));
    expect(created.status).toBe(201);
    const path = `${caller.keys}/${created.json.id}`;
    for (const name of PROTOTYPE_NAMES.filter((candidate) => !META_NAME.test(candidate))) {
      const refused = await caller.send('PATCH', path, bodyWith({}, name, 'x'));
      expect(refused.status).toBe(400);
      expect(refused.json.errors).toEqual([{ path: `meta.${name}`, message: expect.any(String) }]);
    }
    expect(metaOf(await caller.send('GET', path))).toEqual([['owner', 'ops']]);
  });
});
