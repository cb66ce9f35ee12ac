/** The console API: the self-service key routes and the audit trail, for the signed-in user's tenant. */
import type { ApiKey, IssuedApiKey } from '../src/domain/api-key';
import type { AuditRecord } from '../src/domain/audit';
import { CONSOLE_API_PATH, type HandlerName, routeFor, routePath } from '../src/routes';

interface Problem {
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** A refusal of the API, worded for the person at the page. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function messageFor(status: number, problem: Problem): string {
  const details = (problem.errors ?? []).map((error) => error.message).join('; ');
  switch (status) {
    case 400:
      return `Check what you entered: ${details || problem.detail || 'the request is not valid.'}`;
    case 401:
      return 'Your session has ended. Sign in again.';
    case 403:
      return details ? `You can't grant that: ${details}.` : 'You are not allowed to do that.';
    case 404:
      return 'That key no longer exists.';
    case 409:
      return `That could not be done: ${problem.detail ?? 'the key changed meanwhile.'} Reload the list and try again.`;
    case 429:
      return 'Too many requests. Wait a moment, then try again.';
    default:
      return status >= 500 ? 'The service is unavailable right now. Try again in a moment.' : `The request failed (${status}).`;
  }
}

export class KeysApi {
  constructor(
    /** Read on each call: the element's `api-base` attribute may be set after it is made. */
    private readonly base: () => string,
    private readonly token: () => Promise<string>,
  ) {}

  list(): Promise<{ items: ApiKey[]; nextCursor: string | null }> {
    return this.call('listKeys', { query: 'limit=100' });
  }

  /** The latest changes to the tenant's keys, newest first. */
  activity(): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
    return this.call('listAudit', { query: 'limit=20' });
  }

  create(body: { name: string; scopes: string[]; expiresAt?: string }): Promise<IssuedApiKey> {
    return this.call('createKey', { body });
  }

  setEnabled(keyId: string, enabled: boolean): Promise<ApiKey> {
    return this.call('updateKey', { keyId, body: { enabled } });
  }

  rotate(keyId: string): Promise<IssuedApiKey> {
    return this.call('rotateKey', { keyId, body: { gracePeriodSeconds: 0 } });
  }

  async remove(keyId: string): Promise<void> {
    await this.call('deleteKey', { keyId });
  }

  /** Ends a key for good, because it leaked. */
  revoke(keyId: string): Promise<ApiKey> {
    return this.call('revokeKey', { keyId, body: { reason: 'leaked' } });
  }

  /** A console route of the route table, by its handler; its path relative to the console API's, which `base` is. */
  private async call<T>(handler: HandlerName, request: { keyId?: string; query?: string; body?: unknown }): Promise<T> {
    const route = routeFor(handler, 'jwt');
    const { keyId, query, body } = request;
    const path = routePath(route, keyId === undefined ? {} : { keyId }).slice(CONSOLE_API_PATH.length);
    let response: Response;
    try {
      response = await fetch(`${this.base()}${path}${query === undefined ? '' : `?${query}`}`, {
        method: route.method,
        headers: {
          authorization: `Bearer ${await this.token()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // Never kept by the browser's cache: create and rotate answers hold a secret.
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'Could not reach the service. Check your connection and try again.');
    }
    if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;
    const problem = (await response.json().catch(() => ({}))) as Problem;
    throw new ApiError(response.status, messageFor(response.status, problem));
  }
}
