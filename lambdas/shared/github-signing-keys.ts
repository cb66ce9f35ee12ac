import { readFile } from 'node:fs/promises';
import { SigningKeysUnavailableError } from '../../src/domain/errors';
import {
  type PublishedKey,
  parsePublishedKeys,
  SharedSigningKeys,
  type SigningKeys,
  type SigningKeysSource,
} from '../../src/domain/signing-keys';
import { tenantStoreFromEnvironment } from './key-store';

/** Where GitHub publishes the keys its secret scanning signs with ("Secret scanning partner program", GitHub Docs). */
const GITHUB_SECRET_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

/**
 * Local mode's and the tests' stand-in for GitHub's endpoint: a file in GitHub's own
 * format. Read from the environment of the process (local mode passes its own on),
 * never set by the construct: deployed, the keys are GitHub's.
 */
const GITHUB_KEYS_FILE_SETTING = 'GITHUB_SECRET_SCANNING_KEYS_FILE';

/** GitHub answers in well under this; a function waiting longer would hold GitHub's request past its 30 s. */
const FETCH_TIMEOUT_MS = 5_000;

/** GitHub's endpoint, without a token: GitHub asks every caller to name itself in User-Agent. */
const gitHubEndpoint: SigningKeysSource = {
  async fetch(): Promise<PublishedKey[]> {
    const response = await fetch(GITHUB_SECRET_SCANNING_KEYS_URL, {
      headers: { accept: 'application/vnd.github+json', 'user-agent': 'api-key-service' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`GitHub answered ${response.status}`);
    return parsePublishedKeys(await response.json());
  },
};

/** The keys file, read afresh for each payload: a test (or a developer) may replace it while local mode runs. */
function keysFile(path: string): SigningKeys {
  return {
    async publicKeyFor(identifier) {
      let keys: PublishedKey[];
      try {
        keys = parsePublishedKeys(JSON.parse(await readFile(path, 'utf8')));
      } catch (error) {
        throw new SigningKeysUnavailableError(`${GITHUB_KEYS_FILE_SETTING} cannot be read as GitHub's keys.`, 1, {
          cause: error,
        });
      }
      return keys.find((key) => key.identifier === identifier)?.pem;
    },
  };
}

/**
 * GitHub's secret scanning keys: from GITHUB_SECRET_SCANNING_KEYS_FILE where it is
 * set (local mode, tests), otherwise from GitHub's endpoint, shared by every
 * environment through the tenant table (src/domain/signing-keys.ts).
 */
export function signingKeysFromEnvironment(env: NodeJS.ProcessEnv = process.env): SigningKeys {
  const file = env[GITHUB_KEYS_FILE_SETTING];
  if (file) return keysFile(file);
  return new SharedSigningKeys({ source: gitHubEndpoint, cache: tenantStoreFromEnvironment().signingKeysCache('github') });
}
