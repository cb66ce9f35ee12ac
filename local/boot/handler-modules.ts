import { resolve } from 'node:path';
import { ENV } from '../../src/config';
import { AUTHORIZER_ENTRY, HANDLERS, type HandlerName, JWT_AUTHORIZER_ENTRY } from '../../src/routes';
import type { AuthorizerHandler } from '../apigateway/authorizer-runner';
import type { ProxyHandler } from '../apigateway/gateway';
import type { FunctionDefinition } from './lambda-environment';

const LAMBDAS_DIRECTORY = resolve(__dirname, '../../lambdas');

/**
 * Loads a deployed Lambda's own source file, unchanged, and returns its `handler`.
 * The module reads its settings while it loads, as a Lambda does at init, so for
 * that moment the process environment holds this function's settings and no
 * other function's: a function the route table grants too little fails here.
 */
function loadHandler<T>(entry: string, environment: Record<string, string>): T {
  const saved = Object.fromEntries(Object.values(ENV).map((name) => [name, process.env[name]]));
  for (const name of Object.values(ENV)) delete process.env[name];
  Object.assign(process.env, environment);
  try {
    const loaded = require(resolve(LAMBDAS_DIRECTORY, entry)) as { handler?: unknown };
    if (typeof loaded.handler !== 'function') throw new Error(`lambdas/${entry} exports no handler function`);
    return loaded.handler as T;
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Every route handler and both authorizers, from the modules the route table names, each with its own settings. */
export function loadHandlerModules(environmentFor: (definition: FunctionDefinition) => Record<string, string>): {
  handlers: Record<HandlerName, ProxyHandler>;
  authorizer: AuthorizerHandler;
  jwtAuthorizer: AuthorizerHandler;
} {
  const handlers = Object.fromEntries(
    Object.entries(HANDLERS).map(([name, definition]) => [
      name,
      loadHandler<ProxyHandler>(definition.entry, environmentFor(definition)),
    ]),
  ) as Record<HandlerName, ProxyHandler>;
  return {
    handlers,
    authorizer: loadHandler<AuthorizerHandler>(AUTHORIZER_ENTRY, environmentFor('authorizer')),
    jwtAuthorizer: loadHandler<AuthorizerHandler>(JWT_AUTHORIZER_ENTRY, environmentFor('jwtAuthorizer')),
  };
}
