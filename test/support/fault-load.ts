/**
 * A realistic load on `npm start` while its database fails, then, once it is
 * healthy again, the checks of what the service promises whatever the database
 * does: every answer is one the API documents (a 503 with Retry-After for what
 * could not be done), nothing acknowledged is lost, an Idempotency-Key never
 * yields two keys, and no key is left half-revoked or half-rotated. bench/faults.ts and
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
  /** Keys made before the load, half to read and authenticate with, half to revoke or rotate. */
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

type Operation = 'create' | 'idempotent create' | 'read' | 'list' | 'whoami' | 'delete' | 'disable' | 'rotate';

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
  rotate: [201, 200, 409, 503],
};

/** Answers that tell a client to come back later, and must say when. */
const RETRY_LATER_STATUSES = new Set([409, 429, 503]);

/** A key the load made, and what it was told about it. */
interface TrackedKey {
  id: string;
  name: string;
  /** Only a 201 shows it. */
  secret?: string;
  /** What the load did to it; `acknowledged` once it was told that was done. */
  revocation?: { kind: 'delete' | 'disable' | 'rotate'; acknowledged: boolean };
  /** The replacement an acknowledged rotation issued. */
  replacedBy?: string;
}

/** Each broken promise, one line per occurrence. */
export interface FaultViolations {
  /** An answer the API does not document for the request: a 500, or a 404 for a key that exists. */
  unexpectedStatus: string[];
  /** A 503, 409 or 429 without Retry-After. */
  missingRetryAfter: string[];
  /** No answer within answerTimeoutMs, or a connection that failed. */
  noAnswer: string[];
  /** An acknowledged create, disable or delete that is not so afterwards. */
  lost: string[];
  /** More than one key for one Idempotency-Key, or not the one its client was given. */
  duplicates: string[];
  /**
   * What the API says of a key and what authenticates disagree (acknowledged deleted, yet it works),
   * or a rotation left more than one live key, or a live key other than the replacement its client got.
   */
  halfWritten: string[];
}

export interface FaultLoadReport {
  /** Requests sent under load, retries included; the checks afterwards are not counted. */
  requests: number;
  byStatus: Record<string, number>;
  /** The longest any answer took under load. */
  worstAnswerMs: number;
  /** Keys acknowledged under load (201, or 200 for an idempotent repeat), rotations' replacements included. */
  acknowledgedCreates: number;
  /** Keys checked afterwards: those, and the seeded ones. */
  keysChecked: number;
  /** Creates and rotations sent with an Idempotency-Key, and retried as Retry-After says. */
  idempotentClients: { clients: number; completed: number; gaveUp: number; mostAttempts: number; longestMs: number };
  /** Deletes, disables and rotations: acknowledged, or answered 503 (a rotation: given up on). */
  revocations: { acknowledged: number; notAcknowledged: number };
  /**
   * Keys made by requests not acknowledged: stored by a create answered 503 (without an Idempotency-Key),
   * or made live by a rotation given up on. Nobody holds their secrets.
   */
  landedDespite503: number;
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
  /** Keys to read and authenticate with: never revoked, so they must keep working. */
  const readable: TrackedKey[] = [];
  const revocable: TrackedKey[] = [];
  /** Names of creates answered 503, to find the keys they stored anyway. */
  const unacknowledgedNames = new Set<string>();
  const idempotentClients: { keyId?: string; attempts: number; ms: number }[] = [];
  const idempotentCreates: { name: string; keyId?: string }[] = [];
  const revocations = { acknowledged: 0, notAcknowledged: 0 };
  let landedDespite503 = 0;

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

  /**
   * A client that must not act twice: it retries with the same Idempotency-Key for as long as
   * Retry-After asks, within idempotentRetryForMs. Returns the answer that succeeded, if one did.
   */
  async function sendIdempotently(operation: Operation, path: string, body: unknown): Promise<ApiResponse | undefined> {
    const idempotencyKey = randomUUID();
    const client: { keyId?: string; attempts: number; ms: number } = { attempts: 0, ms: 0 };
    idempotentClients.push(client);
    const started = performance.now();
    try {
      while (performance.now() < started + options.idempotentRetryForMs) {
        client.attempts++;
        const response = await send(operation, () =>
          admin('POST', path, { body, headers: { 'Idempotency-Key': idempotencyKey } }),
        );
        if (response?.status === 201 || response?.status === 200) {
          client.keyId = response.json.id;
          return response;
        }
        const retryAfter = Number(response?.headers.get('retry-after'));
        if (!response || !RETRY_LATER_STATUSES.has(response.status) || !(retryAfter >= 0)) return undefined;
        await delay(retryAfter * 1000);
      }
      return undefined;
    } finally {
      client.ms = performance.now() - started;
    }
  }

  let placed = 0;
  /** Keeps a key to check afterwards, and alternately to read and authenticate with, or to revoke. */
  function keep(key: TrackedKey, pool?: 'readable'): void {
    tracked.push(key);
    if (key.secret !== undefined && (pool === 'readable' || placed++ % 2 === 0)) readable.push(key);
    else if (pool === undefined) revocable.push(key);
  }

  for (let i = 0; i < options.seedKeys; i++) {
    const name = `seed-${i}`;
    const created = await admin('POST', keysPath, { body: { name, scopes: ['keys:manage'] } });
    if (created.status !== 201) throw new Error(`Seeding: ${created.status} ${created.text}`);
    keep({ id: created.json.id, name, secret: created.json.key });
  }
  if (readable.length === 0) throw new Error('The load needs at least one seeded key');
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

  async function create(n: number): Promise<void> {
    const name = `create-${n}`;
    const response = await send('create', () => admin('POST', keysPath, { body: { name, scopes: ['keys:manage'] } }));
    if (response?.status === 201) keep({ id: response.json.id, name, secret: response.json.key });
    else unacknowledgedNames.add(name);
  }

  async function createIdempotently(): Promise<void> {
    const name = `idempotent-${randomUUID()}`;
    const response = await sendIdempotently('idempotent create', keysPath, { name, scopes: ['keys:manage'] });
    idempotentCreates.push({ name, keyId: response?.json.id });
    if (response) keep({ id: response.json.id, name, secret: response.json.key });
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
    revocations[key.revocation.acknowledged ? 'acknowledged' : 'notAcknowledged']++;
  }

  /** Rotates with no grace period, so the old key stops at once; the replacement is only read and authenticated with. */
  async function rotate(): Promise<void> {
    const old = revocable.pop();
    if (!old) return read();
    old.revocation = { kind: 'rotate', acknowledged: false };
    const response = await sendIdempotently('rotate', `${keysPath}/${old.id}/rotate`, { gracePeriodSeconds: 0 });
    old.revocation.acknowledged = response !== undefined;
    revocations[old.revocation.acknowledged ? 'acknowledged' : 'notAcknowledged']++;
    if (!response) return;
    old.replacedBy = response.json.id;
    keep({ id: response.json.id, name: old.name, secret: response.json.key }, 'readable');
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

  /**
   * One request of the mix, by its number: 15% creates, 10% idempotent creates, 20% reads,
   * 10% lists, 30% authentications, 5% each deletes, disables and rotations.
   */
  async function oneOperation(n: number): Promise<void> {
    const slot = n % 20;
    if (slot < 3) return create(n);
    if (slot < 5) return createIdempotently();
    if (slot < 9) return read();
    if (slot < 11) return list();
    if (slot < 17) return authenticate();
    if (slot === 17) return revoke('delete');
    if (slot === 18) return revoke('disable');
    return rotate();
  }

  let stopped = false;
  let next = 0;
  const client = async () => {
    while (!stopped) await oneOperation(next++);
  };
  const clients = Array.from({ length: options.clients }, client);
  const probes: Promise<void>[] = [];
  const faultBegins = () => {
    probes.push(
      create(next++),
      createIdempotently(),
      read(),
      list(),
      authenticate(),
      revoke('delete'),
      revoke('disable'),
      rotate(),
    );
  };
  try {
    await options.during(faultBegins);
  } finally {
    stopped = true;
    await Promise.all([...clients, ...probes]);
  }

  // The database is healthy again: what does the API say now, and what authenticates?
  const listed = await listAll(admin, keysPath);
  const liveIdsByName = new Map<string, string[]>();
  for (const key of listed) {
    if (key.status === 'active') liveIdsByName.set(key.name, [...(liveIdsByName.get(key.name) ?? []), key.id]);
  }
  for (const key of tracked) {
    const got = await admin('GET', `${keysPath}/${key.id}`);
    const authenticated = key.secret === undefined ? undefined : (await whoami(key.secret)).status;
    if (![200, 404].includes(got.status) || (authenticated !== undefined && ![200, 401].includes(authenticated))) {
      violations.unexpectedStatus.push(`check of ${key.id}: read → ${got.status}, whoami → ${authenticated}`);
      continue;
    }
    const works = authenticated === 200;
    const { revocation } = key;
    const outcome = `read → ${got.status} ${got.json?.status ?? ''}, whoami → ${authenticated}`;
    if (!revocation) {
      if (got.status !== 200 || authenticated === 401) violations.lost.push(`${key.id} (acknowledged): ${outcome}`);
    } else if (revocation.kind === 'rotate') {
      // One live key of the name at most: the replacement its client got; else the old key, if the rotation came
      // undone, or a replacement that went live though its client was answered 503; or neither, if undoing it failed.
      const live = liveIdsByName.get(key.name) ?? [];
      const rotatedTo: string | undefined = got.json?.rotatedTo ?? undefined;
      const allowed = revocation.acknowledged ? [[key.replacedBy]] : [[], [key.id], [rotatedTo]];
      if (!allowed.some((ids) => ids.length === live.length && live.every((id) => ids.includes(id)))) {
        violations.halfWritten.push(
          `${key.id}: rotation ${revocation.acknowledged ? 'acknowledged' : 'given up'}; live: ${live}`,
        );
      }
      if (!revocation.acknowledged && rotatedTo !== undefined && live.includes(rotatedTo)) landedDespite503++;
      if (revocation.acknowledged && works) violations.lost.push(`${key.id}: rotated with no grace period, yet ${outcome}`);
      if (authenticated !== undefined && works !== live.includes(key.id)) {
        violations.halfWritten.push(`${key.id}: rotation; ${outcome}, live: ${live}`);
      }
    } else {
      const revoked = got.status === 404 || (revocation.kind === 'disable' && got.json.enabled === false);
      if (revocation.acknowledged && !revoked) violations.lost.push(`${key.id}: ${revocation.kind} acknowledged, yet ${outcome}`);
      // Revoked or not (a 503 leaves either), what authenticates must agree with what the API says.
      if (authenticated !== undefined && revoked === works) {
        violations.halfWritten.push(
          `${key.id}: ${revocation.kind} ${revocation.acknowledged ? 'acknowledged' : 'answered 503'}; ${outcome}`,
        );
      }
    }
  }

  const idsByName = new Map<string, string[]>();
  for (const key of listed) idsByName.set(key.name, [...(idsByName.get(key.name) ?? []), key.id]);
  const deletedIds = new Set(tracked.filter((key) => key.revocation?.kind === 'delete').map((key) => key.id));
  const replacementIds = new Set(listed.flatMap((key) => (key.rotatedTo ? [key.rotatedTo] : [])));
  for (const { name, keyId } of idempotentCreates) {
    // A rotation's replacement takes its old key's name.
    const ids = (idsByName.get(name) ?? []).filter((id) => !replacementIds.has(id));
    if (ids.length > 1) violations.duplicates.push(`${name}: ${ids.length} keys (${ids.join(', ')})`);
    if (keyId !== undefined && !deletedIds.has(keyId) && !ids.includes(keyId)) {
      violations.duplicates.push(`${name}: its client was given ${keyId}, the tenant has ${ids.join(', ') || 'none'}`);
    }
  }
  landedDespite503 += [...unacknowledgedNames].filter((name) => idsByName.has(name)).length;

  return {
    requests,
    byStatus,
    worstAnswerMs: Math.round(worstAnswerMs),
    acknowledgedCreates: tracked.length - options.seedKeys,
    keysChecked: tracked.length,
    idempotentClients: {
      clients: idempotentClients.length,
      completed: idempotentClients.filter((client) => client.keyId !== undefined).length,
      gaveUp: idempotentClients.filter((client) => client.keyId === undefined).length,
      mostAttempts: Math.max(0, ...idempotentClients.map((client) => client.attempts)),
      longestMs: Math.round(Math.max(0, ...idempotentClients.map((client) => client.ms))),
    },
    revocations,
    landedDespite503,
    violations,
  };
}

/** Every key of the tenant, page after page. */
async function listAll(
  admin: (method: string, path: string) => Promise<ApiResponse>,
  keysPath: string,
): Promise<{ id: string; name: string; status: string; rotatedTo: string | null }[]> {
  const keys: { id: string; name: string; status: string; rotatedTo: string | null }[] = [];
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
