import { verificationMetrics } from '../../../../lambdas/shared/verification-metrics';
import { type CapturedOutput, captureOutput } from '../../../fixtures/capture-output';
import { countIn, type EmfDistribution, emfLines, emfProblems } from '../../../fixtures/emf';

const NAMESPACE = 'MetricsUnderTest';
let output: CapturedOutput;
let now: number;
let clock: jest.SpyInstance<number, []>;

beforeEach(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = NAMESPACE;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  now = Date.UTC(2030, 0, 1);
  clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  clock.mockRestore();
});

describe('verificationMetrics: counted in memory, published as one EMF line', () => {
  it('writes nothing within a second of the last line, then one line with every outcome since', () => {
    const metrics = verificationMetrics('Authorizer');
    metrics.record('malformed');
    metrics.record('missing');
    metrics.record('malformed');
    metrics.record('valid', 4.2);
    metrics.record('unknown', 3.9);
    now += 999;
    metrics.record('valid', 5);
    expect(emfLines(output)).toEqual([]);

    now += 1;
    metrics.record('disabled', 4);
    const lines = emfLines(output);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(emfProblems(line)).toEqual([]);
    expect(line._aws.Timestamp).toBe(now);
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: NAMESPACE,
        Dimensions: [['service']],
        Metrics: expect.arrayContaining([
          { Name: 'AuthorizerMalformed', Unit: 'Count' },
          { Name: 'AuthorizerMissing', Unit: 'Count' },
          { Name: 'AuthorizerAllowed', Unit: 'Count' },
          { Name: 'AuthorizerUnknown', Unit: 'Count' },
          { Name: 'AuthorizerDisabled', Unit: 'Count' },
          { Name: 'AuthorizerLookupLatency', Unit: 'Milliseconds' },
        ]),
      },
    ]);
    expect(line._aws.CloudWatchMetrics[0].Metrics).toHaveLength(6);
    expect({
      malformed: countIn(line, 'AuthorizerMalformed'),
      missing: countIn(line, 'AuthorizerMissing'),
      allowed: countIn(line, 'AuthorizerAllowed'),
      unknown: countIn(line, 'AuthorizerUnknown'),
      disabled: countIn(line, 'AuthorizerDisabled'),
    }).toEqual({ malformed: 2, missing: 1, allowed: 2, unknown: 1, disabled: 1 });
    // Nothing but the service dimension, the counts and the latency: no key, key id or tenant.
    expect(Object.keys(line).sort()).toEqual(
      [
        '_aws',
        'service',
        'AuthorizerMalformed',
        'AuthorizerMissing',
        'AuthorizerAllowed',
        'AuthorizerUnknown',
        'AuthorizerDisabled',
        'AuthorizerLookupLatency',
      ].sort(),
    );
    expect(line.service).toBe('api-key-service');

    // The next line carries only what came after.
    now += 1_000;
    metrics.record('expired', 2);
    const next = emfLines(output)[1];
    expect(Object.keys(next).filter((name) => name.startsWith('Authorizer'))).toEqual([
      'AuthorizerExpired',
      'AuthorizerLookupLatency',
    ]);
  });

  it('keeps the latencies of the reads as value/count pairs, 10 % buckets, with the exact count, sum, least and most', () => {
    const metrics = verificationMetrics('Verify');
    const latencies = [4.0, 4.1, 4.05, 9.5, 120, 4.02];
    for (const ms of latencies) metrics.record('valid', ms);
    metrics.record('malformed');
    now += 1_000;
    metrics.record('storeError', 800);
    const [line] = emfLines(output);
    expect(emfProblems(line)).toEqual([]);
    const distribution = line.VerifyLookupLatency as EmfDistribution;
    const all = [...latencies, 800];
    expect(distribution.Count).toBe(all.length);
    expect(distribution.Sum).toBeCloseTo(
      all.reduce((sum, ms) => sum + ms, 0),
      9,
    );
    expect(distribution.Min).toBe(4.0);
    expect(distribution.Max).toBe(800);
    // The four values near 4 ms share a bucket (or two, where they straddle a boundary); the others have their own.
    expect(distribution.Values.length).toBeLessThanOrEqual(5);
    for (const ms of all) {
      const nearest = distribution.Values.reduce((best, value) => (Math.abs(value - ms) < Math.abs(best - ms) ? value : best));
      expect(Math.abs(nearest - ms) / ms).toBeLessThanOrEqual(0.05);
    }
    expect(countIn(line, 'VerifyMalformed')).toBe(1);
  });

  it('publishes at once on the 1,000th outcome since the last line, within the second', () => {
    const metrics = verificationMetrics('Authorizer');
    for (let i = 0; i < 999; i++) metrics.record('malformed');
    expect(emfLines(output)).toEqual([]);
    metrics.record('malformed');
    const lines = emfLines(output);
    expect(lines).toHaveLength(1);
    expect(countIn(lines[0], 'AuthorizerMalformed')).toBe(1_000);
    expect(lines[0].AuthorizerLookupLatency).toBeUndefined();
  });

  it('publishes a store error at once, with whatever was waiting', () => {
    const metrics = verificationMetrics('Authorizer');
    metrics.record('valid', 3);
    metrics.record('storeError', 1_000);
    const lines = emfLines(output);
    expect(lines).toHaveLength(1);
    expect(countIn(lines[0], 'AuthorizerStoreError')).toBe(1);
    expect(countIn(lines[0], 'AuthorizerAllowed')).toBe(1);
  });

  it('never puts more than 100 values in a distribution: a line is written before the 101st', () => {
    const metrics = verificationMetrics('Authorizer');
    // Each 1.25 times the last: every one in a bucket of its own.
    const latencies = Array.from({ length: 101 }, (_, i) => 0.01 * 1.25 ** i);
    for (const ms of latencies) metrics.record('valid', ms);
    const lines = emfLines(output);
    expect(lines).toHaveLength(1);
    expect((lines[0].AuthorizerLookupLatency as EmfDistribution).Values).toHaveLength(100);
    expect(emfProblems(lines[0])).toEqual([]);
    now += 1_000;
    metrics.record('valid', 1);
    expect((emfLines(output)[1].AuthorizerLookupLatency as EmfDistribution).Count).toBe(2);
  });

  it('writes nothing with POWERTOOLS_METRICS_DISABLED=true, as local mode runs it', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = verificationMetrics('Authorizer');
    metrics.record('storeError', 1);
    now += 5_000;
    metrics.record('valid', 1);
    expect(output.text()).toBe('');
  });
});

describe('emfProblems, the EMF specification as a check', () => {
  const valid = {
    _aws: {
      Timestamp: 1,
      CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['service']], Metrics: [{ Name: 'Latency', Unit: 'Milliseconds' }] }],
    },
    service: 'api-key-service',
    Latency: { Values: [1, 2], Counts: [3, 1], Max: 2.1, Min: 0.9, Count: 4, Sum: 5.3 },
  };

  it('accepts a valid line and rejects what the specification forbids', () => {
    expect(emfProblems(valid)).toEqual([]);
    expect(emfProblems({ ...valid, Latency: undefined })).not.toEqual([]);
    expect(emfProblems({ ...valid, service: 3 })).not.toEqual([]);
    expect(emfProblems({ ...valid, Latency: { ...valid.Latency, Counts: [3] } })).not.toEqual([]);
    expect(emfProblems({ ...valid, Latency: { ...valid.Latency, Count: 5 } })).not.toEqual([]);
    expect(emfProblems({ ...valid, _aws: { ...valid._aws, Timestamp: 1.5 } })).not.toEqual([]);
    const badUnit = { Namespace: 'N', Dimensions: [['service']], Metrics: [{ Name: 'Latency', Unit: 'ms' }] };
    expect(emfProblems({ ...valid, _aws: { ...valid._aws, CloudWatchMetrics: [badUnit] } })).not.toEqual([]);
  });
});
