/**
 * P7, the depth of sequential AWS calls on an admin operation's response path:
 * the deployed handler modules (lambdas/), with their real domain, stores and
 * adapters and the environment the construct gives them, in a process of their
 * own, as a Lambda environment is. Every AWS call is stubbed at its client, the
 * SDK's and the small AWS clients' (DynamoDB by an in-memory table that evaluates
 * the service's expressions, test/fixtures/fake-table.ts), and takes the same made-up latency; each call's
 * start and end are recorded. A call's depth is one more than the deepest call
 * that ended before it started: calls made at once share a depth, and the
 * answer's depth is the deepest call's. Nothing is retried, so no retry counts.
 *
 * `node --import tsx test/support/response-path-depth.ts` prints the JSON;
 * measureResponsePathDepths() runs it, for the test and for `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

/**
 * The budgets of DESIGN §15's P7, for a tenant whose usage plan is arranged already;
 * revoke, which §15 predates, takes update's and delete's: it is one write to a key found by id.
 */
export const P7_BUDGETS = { create: 2, update: 3, delete: 3, rotate: 4, revoke: 3 } as const;

export interface DepthMeasure {
  operation: keyof typeof P7_BUDGETS;
  variant: string;
  /** Sequential calls on the response path, in an environment that has read its configuration. */
  depth: number;
  /** The variant's first run in the measuring environment: its configuration read too, if no request before it read it. */
  firstRunDepth: number;
  /** The calls, by depth: `[['Query'], ['UpdateItem'], ['FlushStageAuthorizersCache', 'SendMessage']]`. */
  levels: string[][];
}

/** Runs the measure in a process of its own and returns what it found. */
export async function measureResponsePathDepths(): Promise<DepthMeasure[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', __filename], {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as DepthMeasure[];
}

/** Long enough that calls made one after another never overlap, however busy the machine. */
const LATENCY_MS = 5;

interface Call {
  name: string;
  start: number;
  end?: number;
}

async function measure(): Promise<DepthMeasure[]> {
  // Loaded here, in the measuring process only: the stubs must be in place before any handler module loads.
  const { setHandlerEnv, preparedTenant, TENANT_TABLE_NAME, FLUSH_TARGETS_PATH } = await import(
    '../fixtures/deployed-environment'
  );
  setHandlerEnv();
  const { mockClient } = await import('aws-sdk-client-mock');
  const documents = await import('@aws-sdk/lib-dynamodb');
  const apiGateway = await import('@aws-sdk/client-api-gateway');
  const events = await import('@aws-sdk/client-eventbridge');
  const { SmallAwsClient } = await import('../../src/aws/small-aws-client');
  const { FakeTable } = await import('../fixtures/fake-table');
  const { adminEvent, API_ID, STAGE } = await import('../fixtures/events');
  const { keyRecord } = await import('../fixtures/keys');

  const ddb = mockClient(documents.DynamoDBDocumentClient);
  mockClient(apiGateway.APIGatewayClient).onAnyCommand().resolves({});
  mockClient(events.EventBridgeClient).onAnyCommand().resolves({ FailedEntryCount: 0, Entries: [] });
  // The small clients' calls (the cache flush's and its schedules'): the registry holds the service's stage, the rest take what they are sent.
  SmallAwsClient.prototype.send = (async (operation: { name: string }) =>
    operation.name === 'GetParametersByPath'
      ? {
          Parameters: [
            { Name: `${FLUSH_TARGETS_PATH}/service`, Value: JSON.stringify({ kind: 'rest', apiId: API_ID, stageName: STAGE }) },
          ],
        }
      : {}) as typeof SmallAwsClient.prototype.send;
  const keys = new FakeTable(ddb as never, []);
  const tenants = new FakeTable(ddb as never, [preparedTenant('acme')], undefined, {
    tableName: TENANT_TABLE_NAME,
    keyAttributes: ['tenantId', 'sk'],
  });

  // Every client's send, stubbed as above, now takes LATENCY_MS and is recorded: an SDK command by its class, a small client's operation by its name.
  const calls: Call[] = [];
  for (const client of [
    documents.DynamoDBDocumentClient,
    apiGateway.APIGatewayClient,
    events.EventBridgeClient,
    SmallAwsClient,
  ]) {
    const stubbed = client.prototype.send;
    client.prototype.send = async function (
      this: unknown,
      command: { name?: string; constructor: { name: string } },
      ...rest: unknown[]
    ) {
      const call: Call = {
        name: command.name ?? command.constructor.name.replace(/Command$/, '').replace(/^(Get|Put|Update|Delete)$/, '$1Item'),
        start: performance.now(),
      };
      calls.push(call);
      await delay(LATENCY_MS);
      try {
        return await (stubbed as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest);
      } finally {
        call.end = performance.now();
      }
    } as typeof stubbed;
  }

  const handlers = {
    create: (await import('../../lambdas/create-key')).handler,
    update: (await import('../../lambdas/update-key')).handler,
    delete: (await import('../../lambdas/delete-key')).handler,
    rotate: (await import('../../lambdas/rotate-key')).handler,
    revoke: (await import('../../lambdas/revoke-key')).handler,
  };

  /** The calls one request makes, by depth. */
  async function levelsOf(request: () => Promise<{ statusCode: number }>, expected: number): Promise<string[][]> {
    calls.length = 0;
    const { statusCode } = await request();
    if (statusCode !== expected) throw new Error(`Expected ${expected}, got ${statusCode}`);
    const depths = new Map<Call, number>();
    for (const call of [...calls].sort((a, b) => a.start - b.start)) {
      const before = [...depths].filter(([earlier]) => (earlier.end ?? Number.POSITIVE_INFINITY) <= call.start);
      depths.set(call, 1 + Math.max(0, ...before.map(([, depth]) => depth)));
    }
    const deepest = Math.max(0, ...depths.values());
    return Array.from({ length: deepest }, (_, index) =>
      [...depths]
        .filter(([, depth]) => depth === index + 1)
        .map(([call]) => call.name)
        .sort(),
    );
  }

  const future = new Date(Date.now() + 365 * 86_400_000).toISOString();
  const existing = (fields: Record<string, unknown> = {}) => {
    const key = keyRecord({ tenantId: 'acme', ...fields });
    keys.put(key as never);
    return key;
  };
  const keyPath = (keyId: string) => ({ tenantId: 'acme', keyId });
  let idempotency = 0;
  const withIdempotencyKey = () => ({ 'Idempotency-Key': `p7-${++idempotency}` });

  const variants: {
    operation: DepthMeasure['operation'];
    variant: string;
    request: () => Promise<{ statusCode: number }>;
    expected: number;
  }[] = [
    ...[
      ['plain', {}, {}],
      ['with Idempotency-Key', {}, 'idempotent'],
      ['with expiresAt', { expiresAt: future }, {}],
      ['with Idempotency-Key and expiresAt', { expiresAt: future }, 'idempotent'],
    ].map(([variant, extra, headers]) => ({
      operation: 'create' as const,
      variant: variant as string,
      expected: 201,
      request: () =>
        handlers.create(
          adminEvent({
            method: 'POST',
            resource: '/tenants/{tenantId}/keys',
            pathParameters: { tenantId: 'acme' },
            body: { name: 'p7', ...(extra as object) },
            headers: headers === 'idempotent' ? withIdempotencyKey() : {},
          }),
        ),
    })),
    ...[
      ['a rename', { name: 'renamed' }],
      ['a disable (flushes now)', { enabled: false }],
      ['an earlier expiresAt (flushes now, schedules)', { expiresAt: future }],
    ].map(([variant, body]) => ({
      operation: 'update' as const,
      variant: variant as string,
      expected: 200,
      request: () =>
        handlers.update(
          adminEvent({
            method: 'PATCH',
            resource: '/tenants/{tenantId}/keys/{keyId}',
            pathParameters: keyPath(existing({ expiresAt: new Date(Date.now() + 2 * 365 * 86_400_000).toISOString() }).keyId),
            body,
          }),
        ),
    })),
    {
      operation: 'delete',
      variant: 'plain',
      expected: 204,
      request: () =>
        handlers.delete(
          adminEvent({
            method: 'DELETE',
            resource: '/tenants/{tenantId}/keys/{keyId}',
            pathParameters: keyPath(existing().keyId),
          }),
        ),
    },
    ...[
      ['plain (flushes now)', {}],
      ['with a reason (flushes now)', { reason: 'unused' }],
    ].map(([variant, body]) => ({
      operation: 'revoke' as const,
      variant: variant as string,
      expected: 200,
      request: () =>
        handlers.revoke(
          adminEvent({
            method: 'POST',
            resource: '/tenants/{tenantId}/keys/{keyId}/revoke',
            pathParameters: keyPath(existing().keyId),
            body,
          }),
        ),
    })),
    ...[
      ['no grace period (flushes now)', {}, {}, {}],
      ['with Idempotency-Key', {}, {}, 'idempotent'],
      ['a grace period, of a key with expiresAt', { gracePeriodSeconds: 3600 }, { expiresAt: future }, {}],
      ['with Idempotency-Key, of a key with expiresAt', {}, { expiresAt: future }, 'idempotent'],
    ].map(([variant, body, fields, headers]) => ({
      operation: 'rotate' as const,
      variant: variant as string,
      expected: 201,
      request: () =>
        handlers.rotate(
          adminEvent({
            method: 'POST',
            resource: '/tenants/{tenantId}/keys/{keyId}/rotate',
            pathParameters: keyPath(existing(fields as Record<string, unknown>).keyId),
            body,
            headers: headers === 'idempotent' ? withIdempotencyKey() : {},
          }),
        ),
    })),
  ];

  const measures: DepthMeasure[] = [];
  for (const { operation, variant, request, expected } of variants) {
    // A first run reads what the configuration the next runs reuse.
    const first = await levelsOf(request, expected);
    const levels = await levelsOf(request, expected);
    measures.push({ operation, variant, depth: levels.length, firstRunDepth: first.length, levels });
  }
  // Nothing of the tenant's arrangement is read again once the environment has seen it arranged.
  if (tenants.items.size === 0) throw new Error('The tenant table was not used');
  return measures;
}

if (require.main === module) {
  measure().then(
    (measures) => {
      process.stdout.write(`${JSON.stringify(measures)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
