/**
 * A realistic load on `npm start` while its database fails, then, once it is
 * healthy again, the checks of what the service promises whatever the database
 * does: every answer is one the API documents (a 503 with Retry-After for what
 * could not be done), nothing acknowledged is lost, an Idempotency-Key never
 * yields two keys, and no key is left half-revoked. bench/faults.ts and
 * test/e2e/database-faults.test.ts run it; the faults come from fault-proxy.ts.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { type ApiResponse, type Credentials, call, signedCall } from './api-client';
import type { FaultProxy } from './fault-proxy';

/** A fault's timeline: the database healthy, then failing, then healthy again for the rest of the load. */
export interface FaultScenario {
  name: string;
  fault: 'killed' | 'slow' | 'throttled';
  /** Runs the timeline, calling `faultBegins` the moment the database starts failing. */
  run(proxy: FaultProxy, faultBegins: () => void): Promise<void>;
}

/**
 * The database killed and restarted on its data, every answer late by more than
 * the SDK's 1 s request timeout, and half or all requests throttled: each for
 * `faultMs`, after `beforeMs` of health and followed by `afterMs` of it.
 */
export function faultScenarios(timing: {
  beforeMs: number;
  faultMs: number;
  afterMs: number;
  lateByMs: number;
}): FaultScenario[] {
  const around = (start: (proxy: FaultProxy) => Promise<void>, end: (proxy: FaultProxy) => Promise<void>) => {
    return async (proxy: FaultProxy, faultBegins: () => void) => {
      await delay(timing.beforeMs);
      await start(proxy);
      faultBegins();
      await delay(timing.faultMs);
      await end(proxy);
      await delay(timing.afterMs);
    };
  };
  const heal = async (proxy: FaultProxy) => proxy.setFault({ kind: 'none' });
  const throttled = (fraction: number): FaultScenario => ({
    name: `${fraction * 100}% of requests throttled`,
    fault: 'throttled',
    run: around(async (proxy) => proxy.setFault({ kind: 'throttled', fraction }), heal),
  });
  return [
    {
      name: 'database killed mid-load, then restarted',
      fault: 'killed',
      run: around(
        (proxy) => proxy.kill(),
        (proxy) => proxy.restart(),
      ),
    },
    {
      name: `every answer ${timing.lateByMs} ms late`,
      fault: 'slow',
      run: around(async (proxy) => proxy.setFault({ kind: 'slow', delayMs: timing.lateByMs }), heal),
    },
    throttled(0.5),
    throttled(1),
  ];
}

export interface FaultLoadOptions {
  baseUrl: string;
  admin: Credentials;
  /** A tenant for this load alone: the checks list all of its keys. */
  tenant: string;
  /** Clients sending requests at once, each one request after another. */
  clients: number;
  /** Keys made before the load, half to read and authenticate with, half to revoke. */
  seedKeys: number;
  /**
   * The fault's timeline, run while the load runs; the load stops when it resolves, healthy.
   * When it calls `faultBegins`, one request of each kind is sent, so every kind meets the fault.
   */
  during: (faultBegins: () => void) => Promise<void>;
  /** How long a client with an Idempotency-Key keeps retrying, as Retry-After tells it. */
  idempotentRetryForMs: number;
  /** How long a client waits for an answer before it calls the request hung. */
  answerTimeoutMs: number;
}

type Operation = 'create' | 'idempotent create' | 'read' | 'list' | 'whoami' | 'delete' | 'disable';

/** What each request may be answered while the database fails; anything else is a violation. */
const EXPECTED_STATUSES: Record<Operation, number[]> = {
  create: [201, 503],
  // 200: a repeat that finds the key an earlier attempt issued; 409: an earlier attempt still holds the request.
  'idempotent create': [201, 200, 409, 503],
  read: [200, 503],
  list: [200, 503],
  whoami: [200, 503],
  delete: [204, 503],
  disable: [200, 503],
};

/** Answers that tell a client to come back later, and must say when. */
const RETRY_LATER_STATUSES = new Set([409, 429, 503]);

/** A key the load made or revoked, and what it was told about it. */
interface TrackedKey {
  id: string;
  /** Only a 201 shows it. */
  secret?: string;
  revocation?: { kind: 'delete' | 'disable'; acknowledged: boolean };
}

/** Each broken promise, one line per occurrence. */
export interface FaultViolations {
  /** An answer the API does not document for the request: a 500, or a 404 for a key that exists. */
  unexpectedStatus: string[];
  /** A 503, 409 or 429 without Retry-After. */
  missingRetryAfter: string[];
  /** No answer within answerTimeoutMs, or a connection that failed. */
  noAnswer: string[];
  /** An acknowledged create, or an acknowledged disable, that is not there afterwards. */
  lost: string[];
  /** More than one key for one Idempotency-Key, or not the one its client was given. */
  duplicates: string[];
  /** What the API says of a key and what authenticates disagree: e.g. acknowledged deleted, yet it works. */
  halfWritten: string[];
}

export interface FaultLoadReport {
  /** Requests sent under load, retries included; the checks afterwards are not counted. */
  requests: number;
  byStatus: Record<string, number>;
  /** The longest any answer took under load. */
  worstAnswerMs: number;
  /** Keys acknowledged under load (201, or 200 for an idempotent repeat). */
  acknowledgedCreates: number;
  /** Keys checked afterwards: those, and the seeded ones. */
  keysChecked: number;
  idempotentCreates: { clients: number; completed: number; gaveUp: number; mostAttempts: number; longestMs: number };
  revocations: { acknowledged: number; answered503: number };
  /** Keys stored by a create answered 503 without an Idempotency-Key: nobody holds their secret. */
  storedDespite503: number;
  violations: FaultViolations;
}

export function violationCount(report: FaultLoadReport): number {
  return Object.values(report.violations).reduce((total, lines) => total + lines.length, 0);
}

export async function runFaultLoad(options: FaultLoadOptions): Promise<FaultLoadReport> {
  const { baseUrl, tenant } = options;
  const keysPath = `/tenants/${tenant}/keys`;
  const admin = (method: string, path: string, extra: { body?: unknown; headers?: Record<string, string> } = {}) =>
    signedCall(baseUrl, options.admin, method, path, { ...extra, signal: AbortSignal.timeout(options.answerTimeoutMs) });
  const whoami = (secret: string) =>
    call(baseUrl, 'GET', '/whoami', { apiKey: secret, signal: AbortSignal.timeout(options.answerTimeoutMs) });

  const violations: FaultViolations = {
    unexpectedStatus: [],
    missingRetryAfter: [],
    noAnswer: [],
    lost: [],
    duplicates: [],
    halfWritten: [],
  };
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let worstAnswerMs = 0;
  const tracked: TrackedKey[] = [];
  const readable: TrackedKey[] = [];
  const revocable: TrackedKey[] = [];
  /** Names of creates answered 503, to find the keys they stored anyway. */
  const unacknowledgedNames = new Set<string>();
  const idempotent: { name: string; keyId?: string; attempts: number; ms: number }[] = [];
  let revocationsAcknowledged = 0;
  let revocationsAnswered503 = 0;

  /** Sends one request under load and checks its answer; undefined when none came. */
  async function send(operation: Operation, request: () => Promise<ApiResponse>): Promise<ApiResponse | undefined> {
    requests++;
    const started = performance.now();
    let response: ApiResponse;
    try {
      response = await request();
    } catch (error) {
      violations.noAnswer.push(`${operation}: ${(error as Error).name} ${(error as Error).message}`);
      return undefined;
    } finally {
      worstAnswerMs = Math.max(worstAnswerMs, performance.now() - started);
    }
    byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
    if (!EXPECTED_STATUSES[operation].includes(response.status)) {
      violations.unexpectedStatus.push(`${operation} → ${response.status} ${response.text.slice(0, 200)}`);
    }
    if (RETRY_LATER_STATUSES.has(response.status) && !response.headers.get('retry-after')) {
      violations.missingRetryAfter.push(`${operation} → ${response.status} ${response.text.slice(0, 200)}`);
    }
    return response;
  }

  let placed = 0;
  function keep(key: TrackedKey): void {
    tracked.push(key);
    // Alternately: a key to read and authenticate with (never revoked, so it must keep working), or one to revoke.
    if (key.secret !== undefined && placed++ % 2 === 0) readable.push(key);
    else revocable.push(key);
  }

  for (let i = 0; i < options.seedKeys; i++) {
    const created = await admin('POST', keysPath, { body: { name: `seed-${i}`, scopes: ['keys:manage'] } });
    if (created.status !== 201) throw new Error(`Seeding: ${created.status} ${created.text}`);
    keep({ id: created.json.id, secret: created.json.key });
  }
  if (readable.length === 0) throw new Error('The load needs at least one seeded key');
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

  async function create(n: number): Promise<void> {
    const name = `create-${n}`;
    const response = await send('create', () => admin('POST', keysPath, { body: { name, scopes: ['keys:manage'] } }));
    if (response?.status === 201) keep({ id: response.json.id, secret: response.json.key });
    else unacknowledgedNames.add(name);
  }

  /** A client that must not make two keys: it retries with the same Idempotency-Key for as long as Retry-After asks. */
  async function createIdempotently(): Promise<void> {
    const idempotencyKey = randomUUID();
    const client = { name: `idempotent-${idempotencyKey}`, keyId: undefined as string | undefined, attempts: 0, ms: 0 };
    idempotent.push(client);
    const started = performance.now();
    const giveUpAt = started + options.idempotentRetryForMs;
    while (performance.now() < giveUpAt) {
      client.attempts++;
      const response = await send('idempotent create', () =>
        admin('POST', keysPath, {
          body: { name: client.name, scopes: ['keys:manage'] },
          headers: { 'Idempotency-Key': idempotencyKey },
        }),
      );
      if (response?.status === 201 || response?.status === 200) {
        client.keyId = response.json.id;
        keep({ id: response.json.id, secret: response.json.key });
        break;
      }
      const retryAfter = Number(response?.headers.get('retry-after'));
      if (!response || !RETRY_LATER_STATUSES.has(response.status) || !(retryAfter >= 0)) break;
      await delay(retryAfter * 1000);
    }
    client.ms = performance.now() - started;
  }

  async function revoke(operation: 'delete' | 'disable'): Promise<void> {
    const key = revocable.pop();
    if (!key) return read();
    key.revocation = { kind: operation, acknowledged: false };
    const response = await send(operation, () =>
      operation === 'delete'
        ? admin('DELETE', `${keysPath}/${key.id}`)
        : admin('PATCH', `${keysPath}/${key.id}`, { body: { enabled: false } }),
    );
    key.revocation.acknowledged = response?.status === (operation === 'delete' ? 204 : 200);
    if (key.revocation.acknowledged) revocationsAcknowledged++;
    else if (response?.status === 503) revocationsAnswered503++;
  }

  async function read(): Promise<void> {
    await send('read', () => admin('GET', `${keysPath}/${pick(readable).id}`));
  }

  async function list(): Promise<void> {
    await send('list', () => admin('GET', `${keysPath}?limit=20`));
  }

  async function authenticate(): Promise<void> {
    await send('whoami', () => whoami(pick(readable).secret as string));
  }

  /** One request of the mix, by its number: 15% creates, 10% idempotent creates, 20% reads, 10% lists, 30% authentications, 15% revocations. */
  async function oneOperation(n: number): Promise<void> {
    const slot = n % 20;
    if (slot < 3) return create(n);
    if (slot < 5) return createIdempotently();
    if (slot < 9) return read();
    if (slot < 11) return list();
    if (slot < 17) return authenticate();
    return revoke(slot % 2 === 0 ? 'delete' : 'disable');
  }

  let stopped = false;
  let next = 0;
  const client = async () => {
    while (!stopped) await oneOperation(next++);
  };
  const clients = Array.from({ length: options.clients }, client);
  const probes: Promise<void>[] = [];
  const faultBegins = () => {
    probes.push(create(next++), createIdempotently(), read(), list(), authenticate(), revoke('delete'), revoke('disable'));
  };
  try {
    await options.during(faultBegins);
  } finally {
    stopped = true;
    await Promise.all([...clients, ...probes]);
  }

  // The database is healthy again: what does the API say now, and what authenticates?
  for (const key of tracked) {
    const got = await admin('GET', `${keysPath}/${key.id}`);
    const authenticated = key.secret === undefined ? undefined : (await whoami(key.secret)).status;
    if (![200, 404].includes(got.status) || (authenticated !== undefined && ![200, 401].includes(authenticated))) {
      violations.unexpectedStatus.push(`check of ${key.id}: read → ${got.status}, whoami → ${authenticated}`);
      continue;
    }
    const works = authenticated === 200;
    const { revocation } = key;
    if (!revocation) {
      if (got.status !== 200 || authenticated === 401) {
        violations.lost.push(`${key.id} (acknowledged): read → ${got.status}, whoami → ${authenticated}`);
      }
      continue;
    }
    const revoked = revocation.kind === 'delete' ? got.status === 404 : got.status === 404 || got.json.enabled === false;
    if (revocation.acknowledged && !revoked) {
      violations.lost.push(`${key.id}: ${revocation.kind} acknowledged, yet read → ${got.status} ${got.text.slice(0, 120)}`);
    }
    // Revoked or not (a 503 leaves either), what authenticates must agree with what the API says.
    if (authenticated !== undefined && revoked === works) {
      violations.halfWritten.push(
        `${key.id}: ${revocation.kind} ${revocation.acknowledged ? 'acknowledged' : 'answered 503'}; read → ${got.status}, whoami → ${authenticated}`,
      );
    }
  }

  const listed = await listAll(admin, keysPath);
  const keyIdsByName = new Map<string, string[]>();
  for (const key of listed) keyIdsByName.set(key.name, [...(keyIdsByName.get(key.name) ?? []), key.id]);
  const deletedIds = new Set(tracked.filter((key) => key.revocation?.kind === 'delete').map((key) => key.id));
  for (const client of idempotent) {
    const ids = keyIdsByName.get(client.name) ?? [];
    if (ids.length > 1) violations.duplicates.push(`${client.name}: ${ids.length} keys (${ids.join(', ')})`);
    const given = client.keyId;
    if (given !== undefined && !deletedIds.has(given) && !ids.includes(given)) {
      violations.duplicates.push(`${client.name}: its client was given ${given}, the tenant has ${ids.join(', ') || 'none'}`);
    }
  }
  const storedDespite503 = [...unacknowledgedNames].filter((name) => keyIdsByName.has(name)).length;

  return {
    requests,
    byStatus,
    worstAnswerMs: Math.round(worstAnswerMs),
    acknowledgedCreates: tracked.length - options.seedKeys,
    keysChecked: tracked.length,
    idempotentCreates: {
      clients: idempotent.length,
      completed: idempotent.filter((client) => client.keyId !== undefined).length,
      gaveUp: idempotent.filter((client) => client.keyId === undefined).length,
      mostAttempts: Math.max(0, ...idempotent.map((client) => client.attempts)),
      longestMs: Math.round(Math.max(0, ...idempotent.map((client) => client.ms))),
    },
    revocations: { acknowledged: revocationsAcknowledged, answered503: revocationsAnswered503 },
    storedDespite503,
    violations,
  };
}

/** Every key of the tenant, page after page. */
async function listAll(
  admin: (method: string, path: string) => Promise<ApiResponse>,
  keysPath: string,
): Promise<{ id: string; name: string }[]> {
  const keys: { id: string; name: string }[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '?limit=100' : `?limit=100&cursor=${encodeURIComponent(cursor)}`;
    const page = await admin('GET', `${keysPath}${query}`);
    if (page.status !== 200) throw new Error(`Listing the keys: ${page.status} ${page.text}`);
    keys.push(...page.json.items);
    cursor = page.json.nextCursor;
  } while (cursor !== null);
  return keys;
}
