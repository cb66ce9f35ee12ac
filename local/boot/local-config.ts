import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DECLARED_PLANS } from '../../src/declared-plans';
import { DEFAULT_EXPIRY_WARNING_SECONDS, EXPIRY_WARNING_BOUNDS } from '../../src/domain/expiry-window';
import { SCOPE_PATTERN } from '../../src/domain/identifiers';
import { assertValidKeyPrefix, DEFAULT_KEY_PREFIX } from '../../src/domain/key-format';
import { parsePublishedKeys } from '../../src/domain/signing-keys';
import { InvalidPlansError, type PlanDeclaration } from '../../src/plans';
import { DEFAULT_DEMO_USERS, type DemoUser, DemoUsersError, readDemoUsers } from '../openid/demo-users';
import { readPlansFile } from './plans-file';

/** Everything `npm start` reads from its environment, validated once at boot. */
export interface LocalConfig {
  port: number;
  /** Absolute path: embedded DynamoDB files and generated admin credentials live here. */
  dataDir: string;
  tableName: string;
  /** What the service keeps per tenant: idempotent requests. */
  tenantTableName: string;
  keyPrefix: string;
  region: string;
  /** A DynamoDB-compatible endpoint to use instead of the embedded one. */
  dynamoDbEndpoint?: string;
  authorizerCacheTtlSeconds: number;
  /** Admin SigV4 credentials given in the environment; otherwise generated and kept in dataDir. */
  adminCredentials?: { accessKeyId: string; secretAccessKey: string };
  console: ConsoleConfig;
  /** The plans the local gateway enforces: PLANS_FILE's, or the declared ones of config/plans.json. */
  plans: PlanDeclaration;
  /** PLANS_FILE, absolute, when it replaces the declared plans. */
  plansFile?: string;
  /** How often the usage plan reconciler runs: RECONCILE_INTERVAL_SECONDS, by default as deployed. */
  reconcileIntervalSeconds: number;
  /** How long before its expiry a key is warned: EXPIRY_WARNING_SECONDS, by default as deployed (a week). */
  expiryWarningSeconds: number;
  /**
   * GITHUB_SECRET_SCANNING_KEYS_FILE, absolute: GitHub's public keys, in GitHub's format, for
   * POST /secret-scanning/github. Without it, the function fetches them from GitHub, as deployed.
   */
  gitHubKeysFile?: string;
}

/** The console and the local OpenID provider its users sign in with. */
export interface ConsoleConfig {
  /** The OpenID provider's port on 127.0.0.1: PORT + 1 by default, a free one when PORT is 0. */
  openIdPort: number;
  /** Who can sign in, from CONSOLE_USERS_FILE or the built-in demo users. */
  users: readonly DemoUser[];
  /** The scopes console users may grant. */
  scopes: string[];
  /** The ID token claim that names the user's tenant. */
  tenantClaim: string;
  /** CSP frame-ancestors sources: the pages that may embed the console. */
  frameAncestors: string;
}

export const DEFAULTS = {
  port: 3000,
  dataDir: '.local',
  tableName: 'api-keys',
  tenantTableName: 'api-key-tenants',
  region: 'us-east-1',
  /** The CDK construct's default. */
  authorizerCacheTtlSeconds: 300,
  consoleScopes: 'orders:read orders:write',
  /** The CDK construct's default: the attribute of the Cognito user pool it makes. */
  consoleTenantClaim: 'custom:tenant',
  consoleFrameAncestors: "'none'",
  /** The construct's schedule: every five minutes. */
  reconcileIntervalSeconds: 300,
  /** The construct's default: a week. */
  expiryWarningSeconds: DEFAULT_EXPIRY_WARNING_SECONDS,
} as const;

/** API Gateway accepts authorizer cache TTLs from 0 (off) to one hour. */
const MAX_AUTHORIZER_CACHE_TTL_SECONDS = 3600;

export class ConfigError extends Error {}

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return Number(raw);
}

function adminCredentialsFrom(env: NodeJS.ProcessEnv): LocalConfig['adminCredentials'] {
  const accessKeyId = env.ADMIN_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.ADMIN_SECRET_ACCESS_KEY || undefined;
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new ConfigError(
      'Set both ADMIN_ACCESS_KEY_ID and ADMIN_SECRET_ACCESS_KEY, or neither to have credentials made for you',
    );
  }
  return { accessKeyId, secretAccessKey };
}

function consoleConfigFrom(env: NodeJS.ProcessEnv, port: number): ConsoleConfig {
  const scopes = (env.CONSOLE_SCOPES ?? DEFAULTS.consoleScopes).split(/\s+/).filter(Boolean);
  const badScope = scopes.find((scope) => !SCOPE_PATTERN.test(scope));
  if (badScope !== undefined) throw new ConfigError(`CONSOLE_SCOPES: "${badScope}" is not a scope (${SCOPE_PATTERN.source})`);
  let users: readonly DemoUser[] = DEFAULT_DEMO_USERS;
  if (env.CONSOLE_USERS_FILE) {
    try {
      users = readDemoUsers(resolve(env.CONSOLE_USERS_FILE));
    } catch (error) {
      if (error instanceof DemoUsersError) throw new ConfigError(`CONSOLE_USERS_FILE: ${error.message}`);
      throw error;
    }
  }
  const defaultOpenIdPort = port === 0 || port === 65535 ? 0 : port + 1;
  return {
    openIdPort: integerSetting(env, 'OPENID_PORT', defaultOpenIdPort, 0, 65535),
    users,
    scopes,
    tenantClaim: env.CONSOLE_TENANT_CLAIM || DEFAULTS.consoleTenantClaim,
    frameAncestors: env.CONSOLE_FRAME_ANCESTORS || DEFAULTS.consoleFrameAncestors,
  };
}

function plansFrom(env: NodeJS.ProcessEnv): Pick<LocalConfig, 'plans' | 'plansFile'> {
  if (!env.PLANS_FILE) return { plans: DECLARED_PLANS };
  const plansFile = resolve(env.PLANS_FILE);
  try {
    return { plans: readPlansFile(plansFile), plansFile };
  } catch (error) {
    if (error instanceof InvalidPlansError) throw new ConfigError(`PLANS_FILE: ${error.problems.join('; ')}`);
    throw error;
  }
}

/** The keys file, checked now: a file that cannot serve would otherwise turn every GitHub payload into a 503. */
function gitHubKeysFileFrom(env: NodeJS.ProcessEnv): Pick<LocalConfig, 'gitHubKeysFile'> {
  if (!env.GITHUB_SECRET_SCANNING_KEYS_FILE) return {};
  const gitHubKeysFile = resolve(env.GITHUB_SECRET_SCANNING_KEYS_FILE);
  try {
    parsePublishedKeys(JSON.parse(readFileSync(gitHubKeysFile, 'utf8')));
  } catch (error) {
    throw new ConfigError(
      `GITHUB_SECRET_SCANNING_KEYS_FILE: ${gitHubKeysFile} is not GitHub's keys, {"public_keys":[{"key_identifier","key","is_current"}]}: ${(error as Error).message}`,
    );
  }
  return { gitHubKeysFile };
}

export function readLocalConfig(env: NodeJS.ProcessEnv): LocalConfig {
  const keyPrefix = env.KEY_PREFIX || DEFAULT_KEY_PREFIX;
  try {
    assertValidKeyPrefix(keyPrefix);
  } catch (error) {
    throw new ConfigError(`KEY_PREFIX: ${(error as Error).message}`);
  }
  const dynamoDbEndpoint = env.DYNAMODB_ENDPOINT || undefined;
  if (dynamoDbEndpoint !== undefined && !URL.canParse(dynamoDbEndpoint)) {
    throw new ConfigError(`DYNAMODB_ENDPOINT must be a URL such as http://127.0.0.1:8000, not "${dynamoDbEndpoint}"`);
  }
  const port = integerSetting(env, 'PORT', DEFAULTS.port, 0, 65535);
  return {
    port,
    dataDir: resolve(env.DATA_DIR || DEFAULTS.dataDir),
    tableName: env.TABLE_NAME || DEFAULTS.tableName,
    tenantTableName: env.TENANT_TABLE_NAME || DEFAULTS.tenantTableName,
    keyPrefix,
    region: env.AWS_REGION || DEFAULTS.region,
    dynamoDbEndpoint,
    authorizerCacheTtlSeconds: integerSetting(
      env,
      'AUTHORIZER_CACHE_TTL_SECONDS',
      DEFAULTS.authorizerCacheTtlSeconds,
      0,
      MAX_AUTHORIZER_CACHE_TTL_SECONDS,
    ),
    adminCredentials: adminCredentialsFrom(env),
    console: consoleConfigFrom(env, port),
    reconcileIntervalSeconds: integerSetting(env, 'RECONCILE_INTERVAL_SECONDS', DEFAULTS.reconcileIntervalSeconds, 1, 3600),
    expiryWarningSeconds: integerSetting(
      env,
      'EXPIRY_WARNING_SECONDS',
      DEFAULTS.expiryWarningSeconds,
      EXPIRY_WARNING_BOUNDS.minSeconds,
      EXPIRY_WARNING_BOUNDS.maxSeconds,
    ),
    ...gitHubKeysFileFrom(env),
    ...plansFrom(env),
  };
}
