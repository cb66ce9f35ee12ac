import * as z from 'zod';
import type { ApiKey, IssuedApiKey } from '../domain/api-key';
import { AUDIT_ACTIONS, AUDIT_ID_PATTERN, type AuditRecord } from '../domain/audit';
import type { AuditList } from '../domain/audit-queries';
import { KEY_ID_PATTERN } from '../domain/identifiers';
import type { KeyCheck } from '../domain/key-check';
import type { KeyList } from '../domain/key-queries';
import type { RevocationAccepted } from '../domain/leaked-keys';
import { REVOCATION_REASONS } from '../domain/revocation';
import type { TokenFeedback } from '../domain/secret-scanning';
import type { DailyUsage, Tenant } from '../domain/tenants';
import { auditActorSchema, tenantIdSchema } from '../domain/validation';
import type { Problem } from '../problem';

/**
 * What the API answers, as zod schemas for the OpenAPI document. Each one
 * `satisfies` the domain type the handlers return, so a field the domain drops
 * or changes breaks the build; one it adds fails the e2e suites, whose every
 * response is validated against the document.
 */

const keyIdSchema = z.string().regex(KEY_ID_PATTERN);
const instantSchema = z.iso.datetime();

export const apiKeySchema = z.strictObject({
  id: keyIdSchema,
  tenantId: tenantIdSchema,
  name: z.string(),
  hint: z.string(),
  scopes: z.array(z.string()),
  enabled: z.boolean(),
  status: z.enum(['active', 'disabled', 'expired', 'rotated', 'revoked']),
  createdAt: instantSchema,
  expiresAt: instantSchema.nullable(),
  lastUsedAt: instantSchema.nullable(),
  rotatedTo: keyIdSchema.nullable(),
  revokedAt: instantSchema.nullable(),
  revokedReason: z.enum(REVOCATION_REASONS).nullable(),
  meta: z.record(z.string(), z.string()),
}) satisfies z.ZodType<ApiKey>;

export const issuedApiKeySchema = apiKeySchema.extend({
  key: z.string(),
}) satisfies z.ZodType<IssuedApiKey>;

export const rotatedApiKeySchema = issuedApiKeySchema.extend({
  rotatedFrom: keyIdSchema,
}) satisfies z.ZodType<IssuedApiKey>;

/** A repeat of an idempotent create or rotate: the key it issued, without the secret. */
export const replayedApiKeySchema = apiKeySchema.extend({
  rotatedFrom: keyIdSchema.optional(),
}) satisfies z.ZodType<Omit<IssuedApiKey, 'key'>>;

export const keyListSchema = z.strictObject({
  items: z.array(apiKeySchema),
  nextCursor: z.string().nullable(),
}) satisfies z.ZodType<KeyList>;

/** One change, as the audit trail keeps it: never a key, nor a key's hash. Actors and actions come from the domain's lists. */
export const auditRecordSchema = z.strictObject({
  id: z.string().regex(AUDIT_ID_PATTERN),
  tenantId: tenantIdSchema,
  at: instantSchema,
  actor: auditActorSchema,
  action: z.enum(AUDIT_ACTIONS),
  keyId: keyIdSchema.nullable(),
  keyName: z.string().nullable(),
  changes: z.record(z.string(), z.strictObject({ old: z.unknown(), new: z.unknown() })),
  requestId: z.string().nullable(),
  sourceIp: z.string().nullable(),
}) satisfies z.ZodType<AuditRecord>;

export const auditListSchema = z.strictObject({
  items: z.array(auditRecordSchema),
  nextCursor: z.string().nullable(),
}) satisfies z.ZodType<AuditList>;

export const whoamiSchema = z.strictObject({
  tenantId: tenantIdSchema,
  keyId: keyIdSchema,
  name: z.string(),
  scopes: z.array(z.string()),
});

export const tenantSchema = z.strictObject({
  id: tenantIdSchema,
  plan: z.string(),
  createdAt: instantSchema.nullable(),
}) satisfies z.ZodType<Tenant>;

export const usageSchema = z.strictObject({
  items: z.array(
    z.strictObject({
      date: z.iso.date(),
      requests: z.number().int().min(0),
    }),
  ),
}) satisfies z.ZodType<{ items: DailyUsage[] }>;

export const keyCheckSchema = z.discriminatedUnion('valid', [
  z.strictObject({
    valid: z.literal(true),
    tenantId: tenantIdSchema,
    keyId: keyIdSchema,
    name: z.string(),
    scopes: z.array(z.string()),
    meta: z.record(z.string(), z.string()),
  }),
  z.strictObject({ valid: z.literal(false), code: z.enum(['NOT_FOUND', 'INSUFFICIENT_SCOPE']) }),
]) satisfies z.ZodType<KeyCheck>;

/** POST /revoke's one answer, the same for every well-formed key. */
export const revocationAcceptedSchema = z.strictObject({
  status: z.literal('accepted'),
  detail: z.string(),
}) satisfies z.ZodType<RevocationAccepted>;

/** GitHub's feedback format: each token by its SHA-256 (never the token), and whether it was real. */
export const secretScanningFeedbackSchema = z.array(
  z.strictObject({
    token_hash: z.string().regex(/^[0-9a-f]{64}$/),
    token_type: z.string(),
    label: z.enum(['true_positive', 'false_positive']),
  }),
) satisfies z.ZodType<TokenFeedback[]>;

export const problemSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
}) satisfies z.ZodType<Problem>;
