import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { type FieldError, ValidationError } from './errors';
import { KEY_ID_PATTERN, SCOPE_MESSAGE, SCOPE_PATTERN, TENANT_ID_PATTERN } from './identifiers';
import { REVOCATION_REASONS } from './revocation';

const MAX_SCOPES = 20;
const MAX_NAME_LENGTH = 100;
const META_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]{0,31}$/;
const MAX_META_ENTRIES = 10;
const MAX_META_VALUE_LENGTH = 256;
const MAX_GRACE_PERIOD_SECONDS = 604_800;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

// Zod's own messages in English, as its full API loads them (Zod Mini loads no locale of its own).
z.config(en());

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: names may not hold them.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

export const tenantIdSchema = z
  .string()
  .check(z.regex(TENANT_ID_PATTERN, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit'));

const nameSchema = z.string().check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`),
  z.refine((name) => !CONTROL_CHARACTERS.test(name), 'must not contain control characters'),
);

const scopeSchema = z.string().check(z.regex(SCOPE_PATTERN, SCOPE_MESSAGE));

const scopesSchema = z.pipe(
  z.array(scopeSchema).check(z.maxLength(MAX_SCOPES, `must hold at most ${MAX_SCOPES} scopes`)),
  z.transform((scopes: string[]) => [...new Set(scopes)]),
);

const META_NAME_MESSAGE = 'must be 1–32 letters, digits or "_", starting with a letter';

const metaRecordSchema = z
  .record(
    z.string().check(z.regex(META_NAME_PATTERN, META_NAME_MESSAGE)),
    z.string().check(z.maxLength(MAX_META_VALUE_LENGTH, `must be at most ${MAX_META_VALUE_LENGTH} characters`)),
  )
  .check(z.refine((meta) => Object.keys(meta).length <= MAX_META_ENTRIES, `must hold at most ${MAX_META_ENTRIES} values`));

/**
 * What an operator attaches to a key for its backends: a few short strings, by name.
 * zod's records skip a member named `__proto__` without a word (setting it would
 * set the result's prototype instead), so it is refused first, as every name
 * outside the pattern is; JSON.parse keeps it as a member of its own. Typed as
 * the record's input, which clients see; the check itself takes anything.
 */
const metaSchema = z.pipe(
  z.transform((meta: z.input<typeof metaRecordSchema>, context) => {
    if (typeof meta === 'object' && meta !== null && Object.hasOwn(meta, '__proto__')) {
      context.issues.push({ code: 'custom', message: META_NAME_MESSAGE, path: ['__proto__'], input: meta });
    }
    return meta;
  }),
  metaRecordSchema,
);

/**
 * The latest instant accepted: the end of year 9999 UTC. Later ones have no
 * four-digit-year ISO form (`+010000-…`), which sorts before every normal date
 * as text and which EventBridge Scheduler cannot take.
 */
const LATEST_DATE_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** An ISO-8601 date-time with a zone, from 1970 to 9999, normalised to UTC with milliseconds. */
const dateTimeSchema = z.pipe(
  z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time with a time zone, e.g. 2030-01-01T00:00:00Z' }),
  z.transform((value: string, context) => {
    const instant = Date.parse(value);
    if (instant >= 0 && instant <= LATEST_DATE_MS) return new Date(instant).toISOString();
    context.issues.push({
      code: 'custom',
      message: 'must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z',
      input: value,
    });
    return z.NEVER;
  }),
);

export const createKeyBodySchema = z.strictObject({
  name: nameSchema,
  scopes: z.optional(scopesSchema),
  expiresAt: z.nullish(dateTimeSchema),
  meta: z.optional(metaSchema),
});
export type CreateKeyInput = z.output<typeof createKeyBodySchema>;

export const updateKeyBodySchema = z
  .strictObject({
    name: z.optional(nameSchema),
    scopes: z.optional(scopesSchema),
    enabled: z.optional(z.boolean()),
    expiresAt: z.optional(z.nullable(dateTimeSchema)),
    /** Replaces the key's metadata as a whole; `{}` removes it. */
    meta: z.optional(metaSchema),
  })
  .check(z.refine((body) => Object.keys(body).length > 0, 'must change at least one of name, scopes, enabled, expiresAt, meta'));
export type UpdateKeyInput = z.output<typeof updateKeyBodySchema>;

export const rotateKeyBodySchema = z.strictObject({
  gracePeriodSeconds: z._default(
    z
      .number()
      .check(
        z.int('must be a whole number of seconds'),
        z.minimum(0, 'must be at least 0'),
        z.maximum(MAX_GRACE_PERIOD_SECONDS, `must be at most ${MAX_GRACE_PERIOD_SECONDS}`),
      ),
    0,
  ),
});
export type RotateKeyInput = z.output<typeof rotateKeyBodySchema>;

/** POST …/keys/{keyId}/revoke: why the key is ended for good; a leak unless said otherwise. */
export const revokeKeyBodySchema = z.strictObject({
  reason: z._default(z.enum(REVOCATION_REASONS), 'leaked'),
});
export type RevokeKeyInput = z.output<typeof revokeKeyBodySchema>;

/**
 * POST /revoke's body, for the OpenAPI document. The handler checks the same rules
 * without zod (parseRevocationRequest, src/domain/leaked-keys.ts), as POST /verify does; a test holds the two together.
 */
export const revokeKeyBySecretBodySchema = z.strictObject({ key: z.string() });

/**
 * GitHub's secret scanning payload: every match it found, in one array. Each has
 * more to say than the service uses, and GitHub may add more still: fields beyond
 * these are let through.
 */
export const secretScanningReportSchema = z
  .array(
    z.object({
      token: z.string().check(z.minLength(1, 'must not be empty')),
      type: z.string(),
      url: z.optional(z.string()),
      source: z.optional(z.string()),
    }),
  )
  .check(z.minLength(1, 'must hold at least one match'));
export type ScannedToken = z.output<typeof secretScanningReportSchema>[number];

const pageSizeSchema = z._default(
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)), z.transform(Number)),
    z.number().check(z.int(), z.minimum(1, 'must be at least 1'), z.maximum(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)),
  ),
  DEFAULT_PAGE_SIZE,
);
const cursorSchema = z.optional(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'is too long')));

export const listKeysQuerySchema = z.strictObject({
  limit: pageSizeSchema,
  cursor: cursorSchema,
});

export const setPlanBodySchema = z.strictObject({
  plan: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(32, 'must be at most 32 characters')),
});
export type SetPlanInput = z.output<typeof setPlanBodySchema>;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** The longest usage range one request may ask for: API Gateway answers a day per entry. */
export const MAX_USAGE_DAYS = 90;

const daySchema = z.string().check(
  z.regex(DAY_PATTERN, 'must be a date, YYYY-MM-DD'),
  z.refine((day) => {
    const midnight = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(midnight.getTime()) && midnight.toISOString().startsWith(day);
  }, 'must be a real calendar date'),
);

export const usageQuerySchema = z.strictObject({ from: z.optional(daySchema), to: z.optional(daySchema) });
/** GET …/audit: a page of records, newest first, optionally of one key and within [from, to]. */
export const listAuditQuerySchema = z
  .strictObject({
    limit: pageSizeSchema,
    cursor: cursorSchema,
    keyId: z.optional(z.string().check(z.regex(KEY_ID_PATTERN, 'must be a key id, key_ and 26 characters'))),
    from: z.optional(z.pipe(dateTimeSchema, z.iso.datetime())),
    to: z.optional(z.pipe(dateTimeSchema, z.iso.datetime())),
  })
  .check(
    z.refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
      path: ['to'],
      message: 'must not be before from',
    }),
  );

/**
 * Who made a change, as audit records name it: one kind per line. The domain's
 * type of actors and the API's schema of records are both this.
 */
export const auditActorSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('iam'), arn: z.string() }),
  z.strictObject({
    type: z.literal('key'),
    keyId: z.string().check(z.regex(KEY_ID_PATTERN)),
    keyName: z.nullable(z.string()),
  }),
  z.strictObject({ type: z.literal('user'), sub: z.string(), email: z.string() }),
  z.strictObject({ type: z.literal('holder') }),
  z.strictObject({ type: z.literal('scanner'), source: z.literal('github'), url: z.nullable(z.string()) }),
  z.strictObject({ type: z.literal('service') }),
]);

/**
 * POST /verify's body, for the OpenAPI document. The handler checks the same
 * rules without zod (parseKeyCheckRequest), to stay lean; a test holds the two together.
 */
export const verifyKeyBodySchema = z.strictObject({
  key: z.string(),
  scope: z.optional(scopeSchema),
});

function toFieldErrors(error: z.core.$ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '',
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}`
        : // A record's bad key: its own message, not zod's "Invalid key in record".
          issue.code === 'invalid_key'
          ? (issue.issues[0]?.message ?? issue.message)
          : issue.message,
  }));
}

/**
 * Parses `input` or throws a ValidationError listing every problem, with paths
 * under `root`; a problem with the input as a whole is reported at `wholeName`.
 */
export function parseOrThrow<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  root = '',
  wholeName = root || '(body)',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = toFieldErrors(result.error).map((e) => ({
    path: [root, e.path].filter(Boolean).join('.') || wholeName,
    message: e.message,
  }));
  throw new ValidationError(errors);
}
