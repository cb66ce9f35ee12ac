import * as z from 'zod/mini';
import { AUDIT_ID_PATTERN, type AuditPosition } from './audit';
import { ValidationError } from './errors';
import { KEY_ID_PATTERN } from './identifiers';
import type { PagePosition } from './key-store';

const cursorPayloadSchema = z.strictObject({
  t: z.string(),
  k: z.string().check(z.regex(KEY_ID_PATTERN)),
});

const auditCursorPayloadSchema = z.strictObject({
  t: z.string(),
  a: z.iso.datetime(),
  i: z.string().check(z.regex(AUDIT_ID_PATTERN)),
});

const invalidCursor = () => new ValidationError([{ path: 'cursor', message: 'is not a cursor returned by this list' }]);

/**
 * An opaque cursor. It names its tenant, so it can never page through another
 * tenant's keys, and holds only a key id: never a key hash.
 */
export function encodeCursor(tenantId: string, position: PagePosition): string {
  return Buffer.from(JSON.stringify({ t: tenantId, k: position.keyId }), 'utf8').toString('base64url');
}

export function decodeCursor(tenantId: string, cursor: string): PagePosition {
  const parsed = cursorPayloadSchema.safeParse(payloadOf(cursor));
  if (!parsed.success || parsed.data.t !== tenantId) throw invalidCursor();
  return { keyId: parsed.data.k };
}

/** An audit trail's cursor: like a key list's, bound to its tenant; it names a record's time and id. */
export function encodeAuditCursor(tenantId: string, position: AuditPosition): string {
  return Buffer.from(JSON.stringify({ t: tenantId, a: position.at, i: position.id }), 'utf8').toString('base64url');
}

export function decodeAuditCursor(tenantId: string, cursor: string): AuditPosition {
  const parsed = auditCursorPayloadSchema.safeParse(payloadOf(cursor));
  if (!parsed.success || parsed.data.t !== tenantId) throw invalidCursor();
  return { at: parsed.data.a, id: parsed.data.i };
}

function payloadOf(cursor: string): unknown {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
    const bytes = Buffer.from(cursor, 'base64url');
    // Node ignores stray trailing characters; only the exact encoding we issued is a cursor.
    if (bytes.toString('base64url') !== cursor) throw invalidCursor();
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalidCursor();
  }
}
