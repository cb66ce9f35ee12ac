/**
 * The flush queue and its consumer, as the construct deploys them
 * (lib/authorizer-cache-flush.ts) and local mode emulates them
 * (local/boot/emulated-aws.ts): one source for both, and for what a test may
 * expect of a follow-up flush's timing.
 */
export const FLUSH_QUEUE = {
  /** Two parallel flushes (three attempts of 1.5 s each at most) and the follow-up's SendMessage fit well within. */
  flusherTimeoutSeconds: 10,
  /** Lambda's guidance for an SQS event source: at least six times the function's timeout. */
  visibilityTimeoutSeconds: 60,
  /** With the visibility timeout, about ten minutes of retries before a flush is set aside in the dead-letter queue. */
  maxReceiveCount: 10,
  /** A second's batching window coalesces a flood of requests into one flush per stage per batch. */
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
} as const;
