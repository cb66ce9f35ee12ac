import { EscalationError, type FieldError } from './errors';
import { isLater } from './instants';

/**
 * Who is asking, and so what it may hand out and who the audit trail names. IAM
 * (admin) callers may grant anything. The holder of a leaked key, a secret
 * scanner and the service itself grant nothing: they only end keys, or warn of
 * an expiry.
 */
export type Caller = (KeyCaller | UserCaller | IamCaller | HolderCaller | ScannerCaller | ServiceCaller) & {
  /** The request the caller made, named in the audit trail. */
  origin?: RequestOrigin;
};

/** Which request made a change, as API Gateway saw it. */
export interface RequestOrigin {
  requestId: string;
  sourceIp: string;
}

/** An admin route's caller: the IAM principal that signed the request. */
export interface IamCaller {
  kind: 'iam';
  arn: string;
}

/** A key acting for its own tenant: it may hand out only the scopes it holds, and no life beyond its own expiry. */
export interface KeyCaller {
  kind: 'key';
  /** The calling key's id. */
  keyId: string;
  /** The calling key's name, as the authorizer read it: the trail names the actor without a lookup. */
  keyName: string;
  scopes: string[];
  /** The calling key's own expiry, if it has one. */
  expiresAt?: string;
}

/**
 * A console user, signed in with the operator's identity provider, acting for the
 * tenant its token names: it may hand out only the scopes the operator lets console
 * users grant. It holds no key, so nothing of its own expires.
 */
export interface UserCaller {
  kind: 'user';
  /** The token's `sub`. */
  subject: string;
  /** The token's `email`, if it has one. */
  email?: string;
  /** The scopes console users may grant. */
  scopes: string[];
}

/** Whoever holds a key's secret and presents it to end it (POST /revoke): nothing more is known of them. */
export interface HolderCaller {
  kind: 'holder';
}

/** A secret scanner that found a key in public, and where: GitHub's partner program (POST /secret-scanning/github). */
export interface ScannerCaller {
  kind: 'scanner';
  source: 'github';
  /** Where the scanner found it, as it reported it; null when it named no place. */
  url: string | null;
}

/** The service itself, acting on its own schedule: an expiry warning. */
export interface ServiceCaller {
  kind: 'service';
}

/** Whose Idempotency-Keys a request uses: `admin`, the calling key's id, or `user:{sub}`. Two requesters never share one. */
export function requesterOf(caller: Caller): string {
  switch (caller.kind) {
    case 'iam':
      return 'admin';
    case 'key':
      return caller.keyId;
    case 'user':
      return `user:${caller.subject}`;
    // They issue nothing, and so send no Idempotency-Key; named all the same, each apart.
    case 'holder':
    case 'scanner':
    case 'service':
      return caller.kind;
  }
}

/**
 * A caller bound by what it holds: a key or a console user, not an admin. The
 * others (a key's holder, a scanner, the service) hand nothing out: no command
 * they run grants anything.
 */
export function isRestricted(caller: Caller): caller is Caller & (KeyCaller | UserCaller) {
  return caller.kind === 'key' || caller.kind === 'user';
}

/** The caller's own expiry, which bounds what it grants: only a key has one. */
export function expiryOf(caller: Caller): string | undefined {
  return caller.kind === 'key' ? caller.expiresAt : undefined;
}

function scopeEscalations(scopes: string[], caller: KeyCaller | UserCaller, pathOf: (index: number) => string): FieldError[] {
  const refusal = (scope: string) =>
    caller.kind === 'key' ? `your key does not hold scope "${scope}"` : `console users may not grant scope "${scope}"`;
  return scopes
    .map((scope, index) => ({ scope, index }))
    .filter(({ scope }) => !caller.scopes.includes(scope))
    .map(({ scope, index }) => ({ path: pathOf(index), message: refusal(scope) }));
}

function escalation(caller: KeyCaller | UserCaller, errors: FieldError[]): EscalationError {
  return new EscalationError(
    errors,
    caller.kind === 'key'
      ? 'A key can only hand out what it holds itself: its scopes, and no life beyond its own expiry.'
      : 'A console user can only hand out the scopes the operator lets console users grant.',
  );
}

/** Refuses scopes the caller may not hand out, naming each one. */
export function assertGrantable(scopes: string[], caller: Caller, pathOf = (index: number) => `scopes.${index}`): void {
  if (!isRestricted(caller)) return;
  const errors = scopeEscalations(scopes, caller, pathOf);
  if (errors.length > 0) throw escalation(caller, errors);
}

/** A key that would live on after the calling key, which expires, is beyond what the caller holds. */
export function assertWithinCallerLife(expiresAt: string | undefined, caller: Caller, path: string): void {
  const callerExpiry = expiryOf(caller);
  if (!isRestricted(caller) || callerExpiry === undefined || !isLater(expiresAt, callerExpiry)) return;
  throw escalation(caller, [{ path, message: `your key expires at ${callerExpiry}; what it grants cannot outlive it` }]);
}
