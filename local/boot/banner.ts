import { join } from 'node:path';
import type { UsagePlans } from '../apigateway/usage-plans';
import { ADMIN_CREDENTIALS_FILE, type AdminCredentials } from './admin-credentials';
import type { LocalConfig } from './local-config';

export interface BannerFacts {
  baseUrl: string;
  config: LocalConfig;
  admin: AdminCredentials;
  /** Where the table lives: the embedded store's directory, or DYNAMODB_ENDPOINT. */
  dynamoDb: string;
  consoleUrl: string;
  /** The local OpenID provider the console signs in with. */
  issuer: string;
  usagePlans: Pick<UsagePlans, 'plans'>;
}

/** One line: each plan with its limits, the default marked, and where they come from. */
function plansLine({ config, usagePlans }: BannerFacts): string {
  const plans = usagePlans.plans.map(({ name, plan }) => {
    const quota = plan.quota ? `, ${plan.quota.limit}/${plan.quota.period.toLowerCase()}` : '';
    return `${name}${name === config.plans.default ? ' (default)' : ''} ${plan.rateLimit}/s burst ${plan.burstLimit}${quota}`;
  });
  return `  Plans (${config.plansFile ? `PLANS_FILE ${config.plansFile}` : 'config/plans.json'}): ${plans.join('; ')}`;
}

function consoleLines({ config, consoleUrl, issuer }: BannerFacts): string[] {
  return [
    `Console: ${consoleUrl}`,
    `  Signed in with the local OpenID provider ${issuer}, as one of these users (email / password (tenant)):`,
    ...config.console.users.map((user) => `  ${user.email} / ${user.password} (${user.tenant})`),
  ];
}

function adminLines({ admin, config, baseUrl }: BannerFacts): string[] {
  const scope = `SigV4, region ${config.region}, service execute-api`;
  if (admin.source === 'environment') {
    return [
      `Admin credentials (${scope}): ADMIN_ACCESS_KEY_ID=${admin.accessKeyId} and ADMIN_SECRET_ACCESS_KEY from the environment.`,
      `  export API=${baseUrl} AK="$ADMIN_ACCESS_KEY_ID" SK="$ADMIN_SECRET_ACCESS_KEY"`,
    ];
  }
  const where = join(config.dataDir, ADMIN_CREDENTIALS_FILE);
  return [
    `Admin credentials (${scope}), ${admin.source === 'generated' ? 'made just now and saved in' : 'kept in'} ${where}:`,
    `  export API=${baseUrl} AK=${admin.accessKeyId} SK=${admin.secretAccessKey}`,
  ];
}

/** What `npm start` prints once it is ready. The last line is what scripts wait for. */
export function banner(facts: BannerFacts): string {
  const { config, baseUrl } = facts;
  return [
    'API key service, local mode',
    `  DynamoDB: ${facts.dynamoDb}, table ${config.tableName}`,
    `  Key prefix ${config.keyPrefix}, region ${config.region}, authorizer cache ${config.authorizerCacheTtlSeconds} s`,
    plansLine(facts),
    `  Audit events (EventBridge): appended to ${join(config.dataDir, 'events.jsonl')}; keys warned ${config.expiryWarningSeconds} s before they expire`,
    `  GitHub secret scanning keys: ${config.gitHubKeysFile ? `GITHUB_SECRET_SCANNING_KEYS_FILE ${config.gitHubKeysFile}` : "GitHub's endpoint"}`,
    '',
    ...adminLines(facts),
    '',
    'Create a key for tenant "acme":',
    `  curl -s --aws-sigv4 "aws:amz:${config.region}:execute-api" --user "$AK:$SK" \\`,
    `    -H "content-type: application/json" -d '{"name":"My first key"}' "$API/tenants/acme/keys"`,
    'Then call /whoami with the "key" from that response (it is shown only this once):',
    '  export KEY=<the key>',
    '  curl -s -H "x-api-key: $KEY" "$API/whoami"',
    '',
    ...consoleLines(facts),
    '',
    `Listening on ${baseUrl} (Ctrl+C to stop)`,
  ].join('\n');
}
