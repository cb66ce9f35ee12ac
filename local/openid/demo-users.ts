import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TENANT_ID_PATTERN } from '../../src/domain/identifiers';

/** A person who can sign in to the local console, and the tenant whose keys they manage. */
export interface DemoUser {
  email: string;
  password: string;
  tenant: string;
}

/** Two people in two tenants, so that the console shows each only their own tenant's keys. */
export const DEFAULT_DEMO_USERS: readonly DemoUser[] = [
  { email: 'alice@acme.example', password: 'alice-acme-demo', tenant: 'acme' },
  { email: 'bob@globex.example', password: 'bob-globex-demo', tenant: 'globex' },
];

export class DemoUsersError extends Error {}

function parseUser(value: unknown, index: number): DemoUser {
  const where = `user ${index + 1}`;
  if (typeof value !== 'object' || value === null) throw new DemoUsersError(`${where} is not an object`);
  const { email, password, tenant } = value as Record<string, unknown>;
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email))
    throw new DemoUsersError(`${where}: "email" must be an address`);
  if (typeof password !== 'string' || password === '') throw new DemoUsersError(`${where}: "password" must not be empty`);
  if (typeof tenant !== 'string' || !TENANT_ID_PATTERN.test(tenant)) {
    throw new DemoUsersError(`${where}: "tenant" must be a tenant id (1–64 letters, digits, ".", "_" or "-")`);
  }
  return { email, password, tenant };
}

/** The users of a CONSOLE_USERS_FILE: a JSON array of `{"email","password","tenant"}`. */
export function readDemoUsers(file: string): DemoUser[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DemoUsersError(`${file} could not be read as JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new DemoUsersError(`${file} must hold a non-empty JSON array of {"email","password","tenant"}`);
  }
  const users = parsed.map(parseUser);
  const emails = users.map((user) => user.email.toLowerCase());
  const repeated = emails.find((email, index) => emails.indexOf(email) !== index);
  if (repeated) throw new DemoUsersError(`${file} names ${repeated} twice`);
  return users;
}

/** The user's `sub`: stable across restarts, and not the address itself. */
export function subjectOf(user: DemoUser): string {
  return `user-${createHash('sha256').update(user.email.toLowerCase()).digest('hex').slice(0, 16)}`;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The user with this address and password; compared in constant time, so a wrong password takes as long as a right one. */
export function authenticate(users: readonly DemoUser[], email: string, password: string): DemoUser | undefined {
  const user = users.find((candidate) => candidate.email.toLowerCase() === email.trim().toLowerCase());
  const matches = timingSafeEqual(digest(user?.password ?? ''), digest(password));
  return user && matches ? user : undefined;
}
