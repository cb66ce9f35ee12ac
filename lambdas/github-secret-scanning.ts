import { SecretScanning } from '../src/domain/secret-scanning';
import { SECRET_SCANNING_MAX_BODY_BYTES } from '../src/routes';
import { signingKeysFromEnvironment } from './shared/github-signing-keys';
import { header, httpHandler, json, parseJson, readJsonBytes } from './shared/http';
import { revokingKeyServiceFromEnvironment } from './shared/key-commands';

const scanning = new SecretScanning({ keys: signingKeysFromEnvironment(), service: revokingKeyServiceFromEnvironment() });

/**
 * Kept back from the function's timeout when a payload's keys are revoked: no key
 * is started with less left. It covers the flush at its bounds (the stages' list,
 * each stage's flush and the follow-up's queueing, each call two attempts of at
 * most 1.5 s, about 6 s in all) and the keys under way, each a DynamoDB read and
 * write that take milliseconds when DynamoDB is well. With the handlers' 20 s,
 * 12 s are the payload's.
 */
const FLUSH_RESERVE_MS = 8_000;

/**
 * POST /secret-scanning/github, GitHub's secret scanning partner endpoint: a payload
 * signed by GitHub (401 otherwise, nothing read or changed), each key in it revoked,
 * and GitHub's feedback answered. Bodies up to 1 MiB: GitHub batches what it finds.
 * A payload too large to finish in time is answered 503 once what was revoked is
 * flushed: GitHub sees a failed delivery, not a partial answer, and sending it
 * again is safe (what was revoked is found revoked, and labelled a true positive).
 */
export const handler = httpHandler(async (event, context) => {
  const body = readJsonBytes(event, SECRET_SCANNING_MAX_BODY_BYTES) ?? Buffer.alloc(0);
  const signature = {
    keyIdentifier: header(event, 'github-public-key-identifier'),
    signature: header(event, 'github-public-key-signature'),
  };
  // Without a context (local mode, which has no timeout), nothing is cut short.
  const mayStart = context ? () => context.getRemainingTimeInMillis() > FLUSH_RESERVE_MS : undefined;
  return json(200, await scanning.report(body, signature, parseJson, { mayStart }));
});
