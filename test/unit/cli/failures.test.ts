import { EndpointUnreachableError, failureText, fetchNamingFailures, problemAdvice } from '../../../src/cli/failures';
import { ApiProblemError, RequestTimeoutError } from '../../../src/client';

const forbidden = (detail: string) => new ApiProblemError({ status: 403, type: 'about:blank', title: 'Forbidden', detail });
const networkFailure = (code: string, message = `connect ${code}`) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
const credentialsFailure = () =>
  Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

describe('fetchNamingFailures', () => {
  it('names the URL a request could not reach, keeping the cause', async () => {
    const send = fetchNamingFailures(() => Promise.reject(networkFailure('ECONNREFUSED')));
    const failure = await send('http://127.0.0.1:3999/tenants/acme/keys').catch((error) => error);
    expect(failure).toBeInstanceOf(EndpointUnreachableError);
    expect(failure).toMatchObject({ url: 'http://127.0.0.1:3999/tenants/acme/keys', reason: { code: 'ECONNREFUSED' } });
  });

  it("leaves an abort (the client's timeout) and any answer alone", async () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    await expect(fetchNamingFailures(() => Promise.reject(abort))('http://127.0.0.1:3999/')).rejects.toBe(abort);
    const answer = new Response('{}');
    await expect(fetchNamingFailures(() => Promise.resolve(answer))('http://127.0.0.1:3999/')).resolves.toBe(answer);
  });
});

describe('failureText', () => {
  it('says which endpoint could not be reached and why, and where the right one is printed', () => {
    const refused = failureText(
      new EndpointUnreachableError('http://127.0.0.1:3999/tenants/acme/keys', networkFailure('ECONNREFUSED').cause),
      {},
    );
    expect(refused).toMatch(
      /^Could not reach the API at http:\/\/127\.0\.0\.1:3999: the connection was refused: nothing is listening there \(ECONNREFUSED\)\./,
    );
    expect(refused).toContain('"Listening on" address');
    const unknownHost = failureText(
      new EndpointUnreachableError('https://api.example.invalid/v1/verify', { code: 'ENOTFOUND' }),
      {},
    );
    expect(unknownHost).toContain('https://api.example.invalid: the host name does not resolve (ENOTFOUND)');
    const tls = failureText(
      new EndpointUnreachableError(
        'https://self-signed.example/v1/verify',
        networkFailure('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate').cause,
      ),
      {},
    );
    expect(tls).toContain('https://self-signed.example: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
  });

  it('says when the API did not answer in time', () => {
    expect(failureText(new RequestTimeoutError('GET', 'http://127.0.0.1:3999/tenants/acme/keys', 30_000), {})).toMatch(
      /^The API at http:\/\/127\.0\.0\.1:3999 did not answer within 30 s \(GET http:\/\/127\.0\.0\.1:3999\/tenants\/acme\/keys\)\./,
    );
  });

  it('names the missing credentials, and where local mode printed them', () => {
    const none = failureText(credentialsFailure(), {});
    expect(none).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
    expect(none).toContain('"export API=… AK=… SK=…"');
    expect(none).toContain('export API_KEYS_ENDPOINT=$API AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK');
    expect(failureText(credentialsFailure(), { AWS_ACCESS_KEY_ID: 'AKIA' })).toContain('AWS_SECRET_ACCESS_KEY is not set');
    expect(failureText(credentialsFailure(), { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'secret' })).toContain(
      'the AWS SDK found none it could use (Could not load credentials from any providers)',
    );
  });

  it('has nothing to add to a failure it does not know', () => {
    expect(failureText(new Error('something else'), {})).toBeUndefined();
  });
});

describe('problemAdvice', () => {
  it("reads a refused signature as a wrong access key, in local mode's words and in AWS's", () => {
    for (const detail of [
      'The request signature is not valid.',
      'The security token included in the request is invalid.',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    ]) {
      const advice = problemAdvice(forbidden(detail), 'AKIAEXAMPLE000000000');
      expect(advice).toMatch(
        /^The API does not accept the access key AKIAEXAMPLE000000000: it is not one the API knows, or its secret/,
      );
      expect(advice).toContain('export API_KEYS_ENDPOINT=$API AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK');
    }
  });

  it('says expired credentials have expired', () => {
    expect(problemAdvice(forbidden('The request signature or security token has expired.'), 'ASIAEXAMPLE')).toMatch(
      /^The credentials of the access key ASIAEXAMPLE have expired/,
    );
  });

  it('has nothing to add to other refusals', () => {
    expect(problemAdvice(forbidden('The credentials do not grant access to this route.'), 'AKIA')).toBeUndefined();
    expect(
      problemAdvice(
        new ApiProblemError({ status: 404, type: 'about:blank', title: 'Not Found', detail: 'No such key.' }),
        'AKIA',
      ),
    ).toBeUndefined();
  });
});
