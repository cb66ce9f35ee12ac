import { httpHandler, json } from './shared/http';

/** GET /whoami: echoes the identity the authorizer attached to the request. */
export const handler = httpHandler(async (event) => {
  const context = event.requestContext.authorizer ?? {};
  const scopes = typeof context.scopes === 'string' && context.scopes !== '' ? context.scopes.split(' ') : [];
  return json(200, { tenantId: context.tenantId, keyId: context.keyId, name: context.keyName, scopes });
});
