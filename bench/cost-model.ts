/**
 * DESIGN §15's cost per million requests, from this run's figures: every line
 * AWS bills for a request to a protected method, the log lines at the sizes
 * the real code writes them. README and docs/performance.md show its table.
 */
import { verificationMetrics } from '../lambdas/shared/verification-metrics';
import { AUTHORIZER_OUTCOMES, VERIFY_OUTCOMES } from '../src/metrics';
import { round } from './bench-result';

/**
 * us-east-1 list prices, as published on the pages docs/performance.md cites
 * (read December 2026): Lambda on arm64, DynamoDB on demand, CloudWatch Logs
 * Standard ingestion (Lambda's logs are tiered, and cost this up to 10 TB a month),
 * custom metrics in the first 10,000, API Gateway's first tier of each API type.
 */
export const PRICES = {
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  dynamoDbReadUnit: 0.125 / 1e6,
  dynamoDbWriteUnit: 0.625 / 1e6,
  logsIngestedGb: 0.5,
  customMetricMonth: 0.3,
  restApiRequest: 3.5 / 1e6,
  httpApiRequest: 1.0 / 1e6,
} as const;

/**
 * What the model assumes, where this machine cannot measure: the authorizer's
 * memory and its share of a vCPU (Lambda gives 1,769 MB a whole one), an
 * in-region GetItem's round trip, how often Lambda starts an environment
 * (AWS: under 1 % of invocations in production), and the traffic: 100 requests
 * a second, each key calling once a second.
 */
export const ASSUMPTIONS = {
  authorizerMemoryGb: 0.5,
  vcpuShare: 512 / 1769,
  getItemRoundTripMs: 5,
  coldStartShare: 0.01,
  requestsPerSecond: 100,
  requestsPerKeyPerSecond: 1,
  /** CloudWatch Logs counts an event's size as its UTF-8 bytes plus 26. */
  logEventOverheadBytes: 26,
} as const;

/** A representative value for each `$context` variable of an access log format: as long as a real one. */
const CONTEXT_VALUES: Record<string, string> = {
  requestId: 'c2a5f1e4-8d3b-4b6f-9a8e-5f1d2c3b4a59',
  'identity.sourceIp': '203.0.113.42',
  'identity.caller': '-',
  'identity.user': '-',
  'identity.userArn': '-',
  requestTime: '06/Dec/2026:18:57:25 +0000',
  requestTimeEpoch: '1796583445000',
  httpMethod: 'GET',
  resourcePath: '/keys/{keyId}',
  status: '200',
  protocol: 'HTTP/1.1',
  responseLength: '312',
  'authorizer.principalId': 'key_01JF3Z8Q7X2M4N6P8R0T2V4W6Y',
  'authorizer.tenantId': 'acme-corp',
  'error.responseType': '-',
  'authorizer.error': '-',
  integrationLatency: '14',
};

/** Bytes of one access-log line of the format API Gateway is given, its variables filled with representative values. */
export function accessLogLineBytes(format: string): number {
  const line = format.replace(/\$context\.([A-Za-z.]+)/g, (_, name: string) => {
    const value = CONTEXT_VALUES[name];
    if (value === undefined) throw new Error(`No representative value for $context.${name}`);
    return value;
  });
  return Buffer.byteLength(line);
}

/** The EMF lines the functions' own code writes for these outcomes, captured, and their sizes in bytes. */
export function emfLineBytes(outcomes: { outcome: (typeof VERIFY_OUTCOMES)[number]; lookupMs?: number }[]): number {
  const written: string[] = [];
  const write = process.stdout.write;
  const now = Date.now;
  let clock = Date.now();
  // One second passes before the last outcome: it writes the line that carries them all.
  Date.now = () => clock;
  process.stdout.write = ((chunk: string) => {
    written.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    const metrics = verificationMetrics('Authorizer');
    outcomes.forEach(({ outcome, lookupMs }, index) => {
      if (index === outcomes.length - 1) clock += 1_000;
      metrics.record(outcome, lookupMs);
    });
  } finally {
    process.stdout.write = write;
    Date.now = now;
  }
  if (written.length !== 1) throw new Error(`Expected one EMF line, got ${written.length}`);
  return Buffer.byteLength(written[0]);
}

export interface CostInputs {
  /** P2: CPU per warm verification, the client included. */
  verificationCpuMicroseconds: number;
  /** P3: CPU of the authorizer's import and first verification. */
  coldStartCpuMicroseconds: number;
  /** The service API stage's access log format, from the synthesized template. */
  accessLogFormat: string;
}

export interface CostRow {
  api: 'REST' | 'HTTP';
  hitRate: number;
  lambdaRequests: number;
  lambdaDuration: number;
  lambdaInit: number;
  dynamoDbReads: number;
  dynamoDbWrites: number;
  emfLogs: number;
  accessLogs: number;
  apiGateway: number;
  total: number;
}

/** The figures the rows come from, for the docs to show their arithmetic. */
export interface CostModel {
  rows: CostRow[];
  billedMillisecondsPerVerification: number;
  initMilliseconds: number;
  emfLineBytes: { oneOutcome: number; busySecond: number };
  accessLogLineBytes: number;
  customMetrics: number;
  customMetricsPerMonth: number;
}

export function costPerMillionRequests(inputs: CostInputs): CostModel {
  const a = ASSUMPTIONS;
  const cpuMs = inputs.verificationCpuMicroseconds / 1000;
  const billedMs = Math.ceil(cpuMs / a.vcpuShare + a.getItemRoundTripMs);
  const initMs = inputs.coldStartCpuMicroseconds / 1000 / a.vcpuShare;
  // The line carrying `count` outcomes: mostly valid keys, some unknown and malformed, latencies spread over ±20 %.
  const emfLine = (count: number) =>
    emfLineBytes(
      Array.from({ length: Math.max(1, count) }, (_, i) => ({
        outcome: i % 50 === 49 ? ('unknown' as const) : i % 25 === 24 ? ('malformed' as const) : ('valid' as const),
        lookupMs: i % 25 === 24 ? undefined : billedMs * (0.8 + (i % 10) * 0.05),
      })),
    );
  const accessLine = accessLogLineBytes(inputs.accessLogFormat);
  const logCost = (bytes: number, lines: number) => ((bytes + a.logEventOverheadBytes) * lines * PRICES.logsIngestedGb) / 2 ** 30;
  const million = 1e6;
  const row = (api: CostRow['api'], hitRate: number): CostRow => {
    const invocations = million * (1 - hitRate);
    // Environments busy enough for a line a second each; never more lines than invocations.
    const invocationsPerSecond = a.requestsPerSecond * (1 - hitRate);
    const environments = Math.max(1, Math.ceil((invocationsPerSecond * billedMs) / 1000));
    const perEnvironmentPerSecond = invocationsPerSecond / environments;
    // Busy environments write a line a second; quieter ones one per invocation.
    const emfLines = perEnvironmentPerSecond >= 1 ? (million / a.requestsPerSecond) * environments : invocations;
    const emfBytes = emfLine(Math.round(perEnvironmentPerSecond));
    // lastUsedAt: a key's first verification in a minute writes, 2 write units (the byTenant index projects every attribute).
    const keyMinutes = million / (a.requestsPerKeyPerSecond * 60);
    const writes = Math.min(invocations, keyMinutes) * 2;
    const parts = {
      lambdaRequests: invocations * PRICES.lambdaRequest,
      lambdaDuration: invocations * a.authorizerMemoryGb * (billedMs / 1000) * PRICES.lambdaGbSecond,
      lambdaInit: invocations * a.coldStartShare * a.authorizerMemoryGb * (initMs / 1000) * PRICES.lambdaGbSecond,
      dynamoDbReads: invocations * PRICES.dynamoDbReadUnit,
      dynamoDbWrites: writes * PRICES.dynamoDbWriteUnit,
      emfLogs: logCost(emfBytes, emfLines),
      // The service's own REST stage logs every request, cached or not; an HTTP API the construct protects logs nothing of ours.
      accessLogs: api === 'REST' ? logCost(accessLine, million) : 0,
      apiGateway: million * (api === 'REST' ? PRICES.restApiRequest : PRICES.httpApiRequest),
    };
    const total = Object.values(parts).reduce((sum, value) => sum + value, 0);
    return Object.fromEntries(
      Object.entries({ api, hitRate, ...parts, total }).map(([name, value]) => [
        name,
        typeof value === 'number' && name !== 'hitRate' ? round(value, 4) : value,
      ]),
    ) as unknown as CostRow;
  };
  const customMetrics = AUTHORIZER_OUTCOMES.length + 1 + VERIFY_OUTCOMES.length + 1 + 1; // + the two latencies, + ApiThrottled
  return {
    // HTTP APIs: the construct caches nothing by default (API Gateway cannot flush an HTTP API's cache), so every request verifies.
    rows: [row('REST', 0), row('REST', 0.9), row('REST', 0.99), row('HTTP', 0)],
    billedMillisecondsPerVerification: billedMs,
    initMilliseconds: Math.round(initMs),
    emfLineBytes: { oneOutcome: emfLine(1), busySecond: emfLine(ASSUMPTIONS.requestsPerSecond) },
    accessLogLineBytes: accessLine,
    customMetrics,
    customMetricsPerMonth: round(customMetrics * PRICES.customMetricMonth, 2),
  };
}
