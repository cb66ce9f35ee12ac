/**
 * API Gateway's throttle: a token bucket that holds `burstLimit` tokens, starts
 * full, refills at `rateLimit` tokens a second, and lets a request through for
 * each token it takes ("Throttle requests to your REST APIs", API Gateway
 * Developer Guide).
 */
export interface TokenBucket {
  /** Takes a token if there is one: whether the request may pass. */
  take(): boolean;
}

export function createTokenBucket(limits: { rateLimit: number; burstLimit: number }, now: () => number): TokenBucket {
  let tokens = limits.burstLimit;
  let filledAt = now();
  return {
    take() {
      const at = now();
      tokens = Math.min(limits.burstLimit, tokens + ((at - filledAt) / 1000) * limits.rateLimit);
      filledAt = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
