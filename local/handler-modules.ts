import { resolve } from 'node:path';
import { AUTHORIZER, HANDLERS, type HandlerName } from '../src/routes';
import type { AuthorizerHandler } from './authorizer-runner';
import type { ProxyHandler } from './gateway';

const REPOSITORY_ROOT = resolve(__dirname, '..');

/** Loads a deployed Lambda's own source file, unchanged, and returns its `handler`. */
function loadHandler<T>(entry: string): T {
  const loaded = require(resolve(REPOSITORY_ROOT, entry)) as { handler?: unknown };
  if (typeof loaded.handler !== 'function') throw new Error(`${entry} exports no handler function`);
  return loaded.handler as T;
}

/** Every route handler and the authorizer, from the files the route table names. */
export function loadHandlerModules(): { handlers: Record<HandlerName, ProxyHandler>; authorizer: AuthorizerHandler } {
  const handlers = Object.fromEntries(
    Object.entries(HANDLERS).map(([name, definition]) => [name, loadHandler<ProxyHandler>(definition.entry)]),
  ) as Record<HandlerName, ProxyHandler>;
  return { handlers, authorizer: loadHandler<AuthorizerHandler>(AUTHORIZER.entry) };
}
