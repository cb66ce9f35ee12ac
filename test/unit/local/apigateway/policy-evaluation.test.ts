import {
  isInvocationAllowed,
  type NormalizedStatement,
  parsePolicyDocument,
} from '../../../../local/apigateway/policy-evaluation';
import { policyFor } from '../../../../src/authorizer-policy';
import { compileMethods, SERVICE_PROTECTED_METHODS } from '../../../../src/protected-methods';

const STAGE = 'arn:aws:execute-api:us-east-1:000000000000:local/v1';
const allow = (...resources: string[]): NormalizedStatement => ({
  Effect: 'Allow',
  Action: ['execute-api:Invoke'],
  Resource: resources,
});
const deny = (...resources: string[]): NormalizedStatement => ({
  Effect: 'Deny',
  Action: ['execute-api:Invoke'],
  Resource: resources,
});

describe('wildcards in a Resource', () => {
  it.each([
    ['GET/keys/*', 'GET/keys/key_1', true],
    ['GET/keys/*', 'GET/keys/key_1/rotate', true], // `*` crosses slashes, as in IAM
    ['GET/keys/*', 'GET/keys', false],
    ['GET/key?', 'GET/keys', true],
    ['GET/key?', 'GET/key', false],
    ['GET/keys.json', 'GET/keysXjson', false], // other characters are literal
    ['*', 'anything/at/all', true],
  ])('%s against %s: %s', (pattern, method, expected) => {
    expect(isInvocationAllowed([allow(`${STAGE}/${pattern}`)], `${STAGE}/${method}`)).toBe(expected);
  });

  it('match case-sensitively, while the action matches in any case', () => {
    expect(isInvocationAllowed([allow(`${STAGE}/get/whoami`)], `${STAGE}/GET/whoami`)).toBe(false);
    const invoke: NormalizedStatement = { Effect: 'Allow', Action: ['EXECUTE-API:invoke'], Resource: [`${STAGE}/GET/whoami`] };
    expect(isInvocationAllowed([invoke], `${STAGE}/GET/whoami`)).toBe(true);
  });
});

describe('isInvocationAllowed', () => {
  it('needs an Allow that matches the method ARN', () => {
    expect(isInvocationAllowed([allow(`${STAGE}/GET/whoami`)], `${STAGE}/GET/whoami`)).toBe(true);
    expect(isInvocationAllowed([allow(`${STAGE}/GET/whoami`)], `${STAGE}/POST/whoami`)).toBe(false);
    expect(isInvocationAllowed([], `${STAGE}/GET/whoami`)).toBe(false);
  });

  it('lets an explicit Deny win over any Allow', () => {
    expect(isInvocationAllowed([allow(`${STAGE}/*`), deny(`${STAGE}/DELETE/*`)], `${STAGE}/DELETE/keys/key_1`)).toBe(false);
    expect(isInvocationAllowed([allow(`${STAGE}/*`), deny(`${STAGE}/DELETE/*`)], `${STAGE}/GET/keys/key_1`)).toBe(true);
  });

  it('applies only statements for execute-api:Invoke, wildcards included', () => {
    const other: NormalizedStatement = { Effect: 'Allow', Action: ['execute-api:ManageConnections'], Resource: ['*'] };
    const any: NormalizedStatement = { Effect: 'Allow', Action: ['execute-api:*'], Resource: ['*'] };
    expect(isInvocationAllowed([other], `${STAGE}/GET/whoami`)).toBe(false);
    expect(isInvocationAllowed([any], `${STAGE}/GET/whoami`)).toBe(true);
  });

  it('applies the authorizer’s own policy: scopes decide the routes, for any path parameter', () => {
    const manage = parsePolicyDocument(
      policyFor(`${STAGE}/GET/whoami`, ['keys:manage'], compileMethods(SERVICE_PROTECTED_METHODS)),
    )!;
    const plain = parsePolicyDocument(policyFor(`${STAGE}/GET/whoami`, [], compileMethods(SERVICE_PROTECTED_METHODS)))!;
    expect(isInvocationAllowed(manage, `${STAGE}/POST/keys/key_01J/rotate`)).toBe(true);
    expect(isInvocationAllowed(manage, `${STAGE}/GET/keys`)).toBe(true);
    expect(isInvocationAllowed(plain, `${STAGE}/GET/whoami`)).toBe(true);
    expect(isInvocationAllowed(plain, `${STAGE}/GET/keys`)).toBe(false);
    expect(isInvocationAllowed(plain, `arn:aws:execute-api:us-east-1:000000000000:local/v2/GET/whoami`)).toBe(false);
  });
});

describe('parsePolicyDocument', () => {
  it('accepts single strings and single statements as IAM does', () => {
    expect(
      parsePolicyDocument({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' } }),
    ).toEqual([allow('*')]);
  });

  it.each([
    ['no document', undefined],
    ['no statements', { Version: '2012-10-17' }],
    ['an unknown effect', { Statement: [{ Effect: 'Maybe', Action: 'execute-api:Invoke', Resource: '*' }] }],
    ['no resource', { Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke' }] }],
    ['an empty action list', { Statement: [{ Effect: 'Allow', Action: [], Resource: '*' }] }],
  ])('refuses %s', (_, document) => {
    expect(parsePolicyDocument(document)).toBeUndefined();
  });
});
