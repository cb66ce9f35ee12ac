import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { API_KEY_HEADER } from '../http-headers';
import type { Authenticate } from './transport';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** A source of credentials, such as the AWS SDK's providers: asked before every signature, so it may refresh them. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** The Region an execute-api URL names, as `https://{api-id}.execute-api.{region}.amazonaws.com`. */
const EXECUTE_API_HOST = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/;

/** Local mode's default Region, for endpoints that name none and environments that set none. */
const FALLBACK_REGION = 'us-east-1';

/** The Region to sign for: the one given, else the endpoint's own, else the environment's, else local mode's. */
export function signingRegion(endpoint: string, region: string | undefined): string {
  return (
    region ??
    EXECUTE_API_HOST.exec(new URL(endpoint).hostname)?.[1] ??
    (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || FALLBACK_REGION)
  );
}

/**
 * SigV4 for service execute-api, as API Gateway checks it for IAM-authorized
 * routes. The signed `host` is the URL's host with its port, which is what
 * fetch sends; signing the hostname alone fails wherever there is a port.
 */
export function sigV4(
  region: string,
  credentials: AwsCredentials | AwsCredentialsProvider = fromNodeProviderChain(),
): Authenticate {
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  return async ({ method, url, headers, body }) => {
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host },
      body,
    });
    // fetch sends Host itself, with the same value.
    const { host: _host, ...sent } = signed.headers;
    return sent;
  };
}

/** The x-api-key header, for the self-service routes and /whoami. */
export function apiKeyHeader(apiKey: string): Authenticate {
  return async () => ({ [API_KEY_HEADER]: apiKey });
}

/** For the one open route, GET /openapi.json. */
export const anonymous: Authenticate = async () => ({});
