import { SecretScanning } from '../src/domain/secret-scanning';
import { SECRET_SCANNING_MAX_BODY_BYTES } from '../src/routes';
import { signingKeysFromEnvironment } from './shared/github-signing-keys';
import { header, httpHandler, json, parseJson, readJsonBytes } from './shared/http';
import { keyServiceFromEnvironment } from './shared/key-commands';

const scanning = new SecretScanning({ keys: signingKeysFromEnvironment(), service: keyServiceFromEnvironment() });

/**
 * POST /secret-scanning/github, GitHub's secret scanning partner endpoint: a payload
 * signed by GitHub (401 otherwise, nothing read or changed), each key in it revoked,
 * and GitHub's feedback answered. Bodies up to 1 MiB: GitHub batches what it finds.
 */
export const handler = httpHandler(async (event) => {
  const body = readJsonBytes(event, SECRET_SCANNING_MAX_BODY_BYTES) ?? Buffer.alloc(0);
  const signature = {
    keyIdentifier: header(event, 'github-public-key-identifier'),
    signature: header(event, 'github-public-key-signature'),
  };
  return json(200, await scanning.report(body, signature, parseJson));
});
