/**
 * What the CLI says when a command fails before or around the API's answer: what
 * failed, and what to do about it, in the words of the person at the terminal.
 * The API's own refusals are its problem details; these add what it cannot know.
 */
import { type ApiProblemError, RequestTimeoutError } from '../client';

/** Where local mode prints what the CLI needs, quoted in the advice. */
const LOCAL_MODE_ADVICE =
  'For npm start, use the line its banner printed, "export API=… AK=… SK=…", then: ' +
  'export API_KEYS_ENDPOINT=$API AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK ' +
  '(it also keeps them in $DATA_DIR/admin-credentials.json, .local/ by default).';
const AWS_ADVICE =
  'For a deployed stage, use the credentials of an identity allowed to call it, as for the AWS CLI (a profile, aws sso login, a role).';
const ENDPOINT_ADVICE =
  'Check the endpoint (--endpoint or API_KEYS_ENDPOINT): for npm start, the "Listening on" address it printed, ' +
  "e.g. http://127.0.0.1:3000, with npm start still running; for AWS, the stage URL (the stack's ApiUrl output).";

/** A request that reached nobody: no connection, no answer. */
export class EndpointUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: unknown,
  ) {
    super(`Could not reach ${url}`);
  }
}

/** fetch, whose failures to connect name the URL they were sent to. An abort (the client's timeout) stays an abort. */
export function fetchNamingFailures(send: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await send(input, init);
    } catch (error) {
      // fetch rejects with a TypeError when no answer came at all; its cause says why.
      if (!(error instanceof TypeError)) throw error;
      throw new EndpointUnreachableError(input instanceof Request ? input.url : String(input), error.cause ?? error);
    }
  };
}

const NETWORK_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused: nothing is listening there',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved just now',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  ECONNRESET: 'the connection was reset',
  UND_ERR_SOCKET: 'the connection was closed before an answer came',
  EHOSTUNREACH: 'the host cannot be reached',
  ENETUNREACH: 'the network cannot be reached',
};

/** Why nothing answered, e.g. "the connection was refused: nothing is listening there (ECONNREFUSED)". */
function reasonText(reason: unknown): string {
  const { code, message } = (reason ?? {}) as { code?: unknown; message?: unknown };
  const known = typeof code === 'string' ? NETWORK_FAILURES[code] : undefined;
  if (known) return `${known} (${code})`;
  const said = typeof message === 'string' && message !== '' ? message : String(reason);
  return typeof code === 'string' ? `${said} (${code})` : said;
}

/** The environment's AWS credential variables that are not set, of the pair that signs. */
function missingCredentialVariables(env: NodeJS.ProcessEnv): string[] {
  return ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !env[name]);
}

/** The words for a failure that is not an answer of the API; undefined for one the CLI cannot explain. */
export function failureText(error: unknown, env: NodeJS.ProcessEnv): string | undefined {
  if (error instanceof EndpointUnreachableError) {
    return `Could not reach the API at ${new URL(error.url).origin}: ${reasonText(error.reason)}.\n  ${ENDPOINT_ADVICE}`;
  }
  if (error instanceof RequestTimeoutError) {
    return `The API at ${new URL(error.url).origin} did not answer within ${error.timeoutMs / 1000} s (${error.method} ${error.url}).\n  ${ENDPOINT_ADVICE}`;
  }
  if (error instanceof Error && error.name === 'CredentialsProviderError') {
    const missing = missingCredentialVariables(env);
    const what =
      missing.length > 0
        ? `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set, and no other source of the AWS SDK's chain has credentials`
        : 'the AWS SDK found none it could use';
    return `No AWS credentials to sign the request with: ${what} (${error.message}).\n  ${LOCAL_MODE_ADVICE}\n  ${AWS_ADVICE}`;
  }
  return undefined;
}

/** A refusal of the request's signature or credentials: the answers of local mode's SigV4 check and of AWS alike. */
const SIGNATURE_REFUSAL = /signature|security token/i;

/** What to do about an answer of the API, where the CLI knows more than the API said; undefined otherwise. */
export function problemAdvice(problem: ApiProblemError, accessKeyId: string | undefined): string | undefined {
  if (problem.status !== 403 || !SIGNATURE_REFUSAL.test(problem.detail)) return undefined;
  const key = accessKeyId ? `the access key ${accessKeyId}` : 'the access key';
  if (/expired/i.test(problem.detail)) {
    return `The credentials of ${key} have expired: get fresh ones (aws sso login, or a new role session).`;
  }
  return `The API does not accept ${key}: it is not one the API knows, or its secret access key is wrong.\n  ${LOCAL_MODE_ADVICE}\n  ${AWS_ADVICE}`;
}
