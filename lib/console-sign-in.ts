import { createHash } from 'node:crypto';
import { Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import { SCOPE_PATTERN } from '../src/domain/identifiers';

/** The custom attribute of the user pool made when no issuer is given; its claim is `custom:tenant`. */
const TENANT_ATTRIBUTE = 'tenant';

/**
 * How the console's users sign in. Give an OpenID Connect issuer and the console's
 * client id there to use your own identity provider; give neither, and a Cognito
 * user pool is made for the console.
 */
export interface ConsoleSignInProps {
  /**
   * Your identity provider's issuer URL, exactly as its tokens' `iss` claim names it,
   * e.g. `https://login.example.com/realms/acme`. Its discovery document must be at
   * `{issuer}/.well-known/openid-configuration`. Requires `clientId`.
   *
   * @default - the issuer of a Cognito user pool made for the console
   */
  readonly issuer?: string;

  /**
   * The console's client id at that issuer: a public client (no secret) allowed the
   * authorization code flow with PKCE, whose redirect URI is the console's URL
   * (`{api.url}console`). Its ID tokens name it as their audience.
   *
   * @default - the Cognito app client made for the console
   */
  readonly clientId?: string;

  /**
   * The ID token claim that names the user's tenant. A token without it is refused.
   *
   * @default 'custom:tenant' (the user pool's `tenant` attribute)
   */
  readonly tenantClaim?: string;

  /**
   * The scopes console users may put on the keys they create (and so hold in the
   * keys they rotate or re-enable).
   *
   * @default - none: console users make keys without scopes
   */
  readonly grantableScopes?: string[];

  /**
   * Origins of the identity provider the browser calls, for the page's
   * Content-Security-Policy `connect-src`: its discovery document and token endpoint.
   *
   * @default - the issuer's origin (with the Cognito user pool, also its hosted domain)
   */
  readonly identityProviderOrigins?: string[];

  /**
   * CSP `frame-ancestors` sources: the pages that may show the console in a frame,
   * e.g. `["'self'", 'https://app.example.com']`.
   *
   * @default ["'none'"] - no page may frame it
   */
  readonly frameAncestors?: string[];

  /**
   * The prefix of the Cognito hosted domain, `{prefix}.auth.{region}.amazoncognito.com`,
   * unique in the Region across all of AWS. Only with the Cognito user pool.
   *
   * @default - `api-keys-{account}-{hash of this construct's path}`
   */
  readonly cognitoDomainPrefix?: string;
}

export interface ConsoleSignInOptions extends ConsoleSignInProps {
  /** The console page's URL: where the identity provider sends users back. */
  readonly consoleUrl: string;
}

/**
 * The console's sign-in: the issuer, client and tenant claim the JWT authorizer
 * checks tokens against and the page signs in with. Functions get these settings
 * from its `bind` methods, so they cannot hold one without the others.
 */
export class ConsoleSignIn extends Construct {
  /** The OpenID Connect issuer. */
  readonly issuer: string;
  /** The console's client id at the issuer. */
  readonly clientId: string;
  readonly tenantClaim: string;
  readonly grantableScopes: string[];
  /** The Cognito user pool, when the construct made one; its users need the `custom:tenant` attribute. */
  readonly userPool?: UserPool;
  /** Its app client for the console. */
  readonly userPoolClient?: UserPoolClient;
  /** Its hosted sign-in domain. */
  readonly userPoolDomain?: UserPoolDomain;

  private readonly connectSources: string[];
  private readonly frameAncestors: string[];

  constructor(scope: Construct, id: string, props: ConsoleSignInOptions) {
    super(scope, id);
    validateProps(props);
    this.tenantClaim = props.tenantClaim ?? `custom:${TENANT_ATTRIBUTE}`;
    this.grantableScopes = props.grantableScopes ?? [];
    this.frameAncestors = props.frameAncestors ?? ["'none'"];
    if (props.issuer !== undefined && props.clientId !== undefined) {
      this.issuer = props.issuer;
      this.clientId = props.clientId;
      this.connectSources = props.identityProviderOrigins ?? [originOf(props.issuer)];
      return;
    }
    const { region, urlSuffix } = Stack.of(this);
    this.userPool = new UserPool(this, 'UserPool', {
      // The operator creates users, each with the tenant they belong to: nobody signs themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: { [TENANT_ATTRIBUTE]: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Whoever signs in can issue keys: a second factor (an authenticator app) is required.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      // The users outlive a mistaken `cdk destroy`, like the key table.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.cognitoDomainPrefix ?? defaultDomainPrefix(this) },
    });
    this.userPoolClient = this.userPool.addClient('ConsoleClient', {
      // A public client: the browser holds no secret, and PKCE protects the code.
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL],
        callbackUrls: [props.consoleUrl],
        logoutUrls: [props.consoleUrl],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true })
        .withCustomAttributes(TENANT_ATTRIBUTE),
      // Never the tenant: a user who could write it could manage another tenant's keys.
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
    });
    this.issuer = this.userPool.userPoolProviderUrl;
    this.clientId = this.userPoolClient.userPoolClientId;
    // The discovery document is at the issuer's origin; the token endpoint at the hosted domain.
    this.connectSources = [`https://cognito-idp.${region}.${urlSuffix}`, this.userPoolDomain.baseUrl()];
  }

  /** Tells a JWT authorizer which tokens to accept, and what their users may grant. */
  bindVerifier(fn: LambdaFunction): void {
    this.bindSignIn(fn);
    fn.addEnvironment(ENV.consoleTenantClaim, this.tenantClaim);
  }

  /** Tells the console page how users sign in, and what its Content-Security-Policy allows. */
  bindPage(fn: LambdaFunction): void {
    this.bindSignIn(fn);
    fn.addEnvironment(ENV.consoleConnectSources, this.connectSources.join(' '));
    fn.addEnvironment(ENV.consoleFrameAncestors, this.frameAncestors.join(' '));
  }

  private bindSignIn(fn: LambdaFunction): void {
    fn.addEnvironment(ENV.consoleIssuer, this.issuer);
    fn.addEnvironment(ENV.consoleClientId, this.clientId);
    fn.addEnvironment(ENV.consoleScopes, this.grantableScopes.join(' '));
  }
}

function originOf(issuer: string): string {
  if (Token.isUnresolved(issuer)) {
    throw new Error('ApiKeyService: with an issuer that is a token, give console.identityProviderOrigins too');
  }
  return new URL(issuer).origin;
}

/**
 * Unique per account and construct: a Cognito domain prefix is global to the
 * Region, across every AWS account. Lower-case letters, digits and hyphens.
 */
function defaultDomainPrefix(scope: Construct): string {
  const hash = createHash('sha256').update(scope.node.path).digest('hex').slice(0, 8);
  return Fn.join('-', ['api-keys', Stack.of(scope).account, hash]);
}

/** Checks what can be checked at synth time; a token is left for the deployment to resolve. */
function validateProps(props: ConsoleSignInProps): void {
  const { issuer, clientId, tenantClaim, grantableScopes = [], frameAncestors = [], identityProviderOrigins = [] } = props;
  if ((issuer === undefined) !== (clientId === undefined)) {
    throw new Error(
      'ApiKeyService: console.issuer and console.clientId go together: give both, or neither for a Cognito user pool',
    );
  }
  if (issuer !== undefined && !Token.isUnresolved(issuer) && !/^https:\/\/[^\s]+$/.test(issuer)) {
    throw new Error(`ApiKeyService: console.issuer "${issuer}" must be an https:// URL`);
  }
  if (issuer !== undefined && props.cognitoDomainPrefix !== undefined) {
    throw new Error(
      'ApiKeyService: console.cognitoDomainPrefix applies only to the Cognito user pool made when no issuer is given',
    );
  }
  if (tenantClaim !== undefined && !Token.isUnresolved(tenantClaim) && !/^\S+$/.test(tenantClaim)) {
    throw new Error(`ApiKeyService: console.tenantClaim "${tenantClaim}" must be a claim name`);
  }
  const badScope = grantableScopes.find((scope) => !Token.isUnresolved(scope) && !SCOPE_PATTERN.test(scope));
  if (badScope !== undefined) {
    throw new Error(`ApiKeyService: console.grantableScopes: "${badScope}" is not a scope (${SCOPE_PATTERN.source})`);
  }
  // A source with a space, ";" or "," would end the directive and start another.
  const badSource = [...frameAncestors, ...identityProviderOrigins].find(
    (source) => !Token.isUnresolved(source) && !/^[^\s;,]+$/.test(source),
  );
  if (badSource !== undefined) throw new Error(`ApiKeyService: "${badSource}" is not a CSP source expression`);
}
