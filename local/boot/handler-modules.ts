import { resolve } from 'node:path';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ReconcilerRun } from '../../lambdas/reconcile-usage-plans';
import { ENV } from '../../src/config';
import type { SweepResult } from '../../src/domain/audit-delivery';
import type { RoutelessFunction } from '../../src/function-grants';
import {
  AUDIT_DELIVERY_ENTRY,
  AUDIT_SWEEPER_ENTRY,
  AUTHORIZER_ENTRY,
  EXPIRY_WARNER_ENTRY,
  FLUSHER_ENTRY,
  HANDLERS,
  type HandlerDefinition,
  type HandlerName,
  JWT_AUTHORIZER_ENTRY,
  USAGE_PLAN_RECONCILER_ENTRY,
} from '../../src/routes';
import type { AuthorizerHandler } from '../apigateway/authorizer-runner';
import type { ProxyHandler } from '../apigateway/gateway';

const LAMBDAS_DIRECTORY = resolve(__dirname, '../../lambdas');
const ORDERS_BACKEND = resolve(__dirname, '../../examples/orders/backend');

/**
 * Loads a deployed Lambda's own source file (a module under lambdas/, or the
 * example's backend), unchanged, and returns its `handler`.
 * The module reads its settings while it loads, as a Lambda does at init, so for
 * that moment the process environment holds this function's settings and no
 * other function's: a function the route table grants too little fails here.
 */
function loadHandler<T>(file: string, environment: Record<string, string>): T {
  const names = new Set([...Object.values(ENV), ...Object.keys(environment)]);
  const saved = Object.fromEntries([...names].map((name) => [name, process.env[name]]));
  for (const name of Object.values(ENV)) delete process.env[name];
  Object.assign(process.env, environment);
  try {
    const loaded = require(file) as { handler?: unknown };
    if (typeof loaded.handler !== 'function') throw new Error(`${file} exports no handler function`);
    return loaded.handler as T;
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;
export type DynamoDbStreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/** Every deployed function, from the modules the route table names, each with its own settings. */
export function loadHandlerModules(
  environmentFor: (definition: HandlerDefinition | RoutelessFunction) => Record<string, string>,
): {
  handlers: Record<HandlerName, ProxyHandler>;
  authorizer: AuthorizerHandler;
  jwtAuthorizer: AuthorizerHandler;
  flusher: SqsHandler;
  expiryWarner: SqsHandler;
  auditDelivery: DynamoDbStreamHandler;
  auditSweeper: () => Promise<SweepResult>;
  /** Run on its schedule, with what a Lambda context gives it: the time it has left. */
  usagePlanReconciler: (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ReconcilerRun | undefined>;
  /** The example orders API's backend, which needs no settings. */
  ordersBackend: ProxyHandler;
} {
  const handlers = Object.fromEntries(
    Object.entries(HANDLERS).map(([name, definition]) => [
      name,
      loadHandler<ProxyHandler>(resolve(LAMBDAS_DIRECTORY, definition.entry), environmentFor(definition)),
    ]),
  ) as Record<HandlerName, ProxyHandler>;
  return {
    handlers,
    authorizer: loadHandler<AuthorizerHandler>(resolve(LAMBDAS_DIRECTORY, AUTHORIZER_ENTRY), environmentFor('authorizer')),
    jwtAuthorizer: loadHandler<AuthorizerHandler>(
      resolve(LAMBDAS_DIRECTORY, JWT_AUTHORIZER_ENTRY),
      environmentFor('jwtAuthorizer'),
    ),
    flusher: loadHandler<SqsHandler>(resolve(LAMBDAS_DIRECTORY, FLUSHER_ENTRY), environmentFor('flusher')),
    expiryWarner: loadHandler<SqsHandler>(resolve(LAMBDAS_DIRECTORY, EXPIRY_WARNER_ENTRY), environmentFor('expiryWarner')),
    auditDelivery: loadHandler<DynamoDbStreamHandler>(
      resolve(LAMBDAS_DIRECTORY, AUDIT_DELIVERY_ENTRY),
      environmentFor('auditDelivery'),
    ),
    auditSweeper: loadHandler<() => Promise<SweepResult>>(
      resolve(LAMBDAS_DIRECTORY, AUDIT_SWEEPER_ENTRY),
      environmentFor('auditSweeper'),
    ),
    usagePlanReconciler: loadHandler(
      resolve(LAMBDAS_DIRECTORY, USAGE_PLAN_RECONCILER_ENTRY),
      environmentFor('usagePlanReconciler'),
    ),
    ordersBackend: loadHandler<ProxyHandler>(ORDERS_BACKEND, {}),
  };
}
