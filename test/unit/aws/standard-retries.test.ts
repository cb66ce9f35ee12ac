import { type CallFailure, isRetryable, isThrottling, RetryQuota, retryDelayMs } from '../../../src/aws/standard-retries';

const failure = (name: string, extra: Partial<CallFailure> = {}): CallFailure => ({ name, message: name, ...extra });

describe('the SDK’s standard retry mode', () => {
  it('retries throttling, transient faults and clock skew; not what a retry cannot mend', () => {
    const retried = [
      failure('ProvisionedThroughputExceededException'),
      failure('ThrottlingException'),
      failure('Unnamed', { $metadata: { httpStatusCode: 429 } }),
      failure('InternalServerError', { $metadata: { httpStatusCode: 500 } }),
      failure('Whatever', { $metadata: { httpStatusCode: 503 } }),
      failure('TimeoutError'),
      failure('Error', { code: 'ECONNRESET' }),
      failure('Error', { code: 'ENOTFOUND' }),
      failure('InvalidSignatureException', { message: 'Signature expired: 20300101T000000Z is now earlier than …' }),
      failure('Corrected', { $metadata: { clockSkewCorrected: true } }),
      failure('CRC32CheckFailed', { $retryable: {} }),
    ];
    for (const each of retried) expect([each.name, isRetryable(each)]).toEqual([each.name, true]);
    const final = [
      failure('ConditionalCheckFailedException', { $metadata: { httpStatusCode: 400 } }),
      failure('ResourceNotFoundException', { $metadata: { httpStatusCode: 400 } }),
      failure('ValidationException', { $metadata: { httpStatusCode: 400 } }),
      failure('Whatever', { $metadata: { httpStatusCode: 501 } }),
    ];
    for (const each of final) expect([each.name, isRetryable(each)]).toEqual([each.name, false]);
  });

  it('backs off with full jitter under an exponential ceiling, from 500 ms for throttling and 100 ms otherwise, at most 20 s', () => {
    const throttled = failure('ThrottlingException');
    const failed = failure('InternalServerError', { $metadata: { httpStatusCode: 500 } });
    expect(isThrottling(throttled)).toBe(true);
    expect(retryDelayMs(throttled, 1, () => 0.999)).toBe(999);
    expect(retryDelayMs(throttled, 2, () => 0.5)).toBe(1_000);
    expect(retryDelayMs(failed, 1, () => 0.999)).toBe(199);
    expect(retryDelayMs(failed, 2, () => 0.999)).toBe(399);
    expect(retryDelayMs(failed, 1, () => 0)).toBe(0);
    expect(retryDelayMs(throttled, 5, () => 0.999)).toBe(15_984);
    expect(retryDelayMs(throttled, 6, () => 0.999)).toBe(20_000);
  });

  it('spends a quota of 500 tokens, 5 a retry and 10 after a timeout, refilled by successes', () => {
    const quota = new RetryQuota();
    const throttled = failure('ThrottlingException');
    for (let i = 0; i < 100; i++) expect(quota.take(throttled)).toBe(5);
    // Empty: no retry, and nothing taken.
    expect(quota.take(throttled)).toBeUndefined();
    // A success without a retry gives back one token; one after a retry gives back what that retry took.
    quota.release(undefined);
    expect(quota.take(throttled)).toBeUndefined();
    for (let i = 0; i < 4; i++) quota.release(undefined);
    expect(quota.take(throttled)).toBe(5);
    quota.release(5);
    quota.release(5);
    expect(quota.take(failure('TimeoutError'))).toBe(10);
    expect(quota.take(failure('TimeoutError'))).toBeUndefined();
  });

  it('never holds more than the 500 tokens it starts with', () => {
    const quota = new RetryQuota();
    for (let i = 0; i < 50; i++) quota.release(10);
    let retries = 0;
    while (quota.take(failure('ThrottlingException')) !== undefined) retries++;
    expect(retries).toBe(100);
  });
});
