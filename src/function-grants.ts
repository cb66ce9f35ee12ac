import {
  AUDIT_DELIVERY_ACCESS,
  AUDIT_SWEEPER_ACCESS,
  type AuditWorkerAccess,
  EXPIRY_WARNER_ACCESS,
  type HandlerDefinition,
  type TableAction,
  USAGE_PLAN_RECONCILER_TENANT_TABLE_ACTIONS,
  type UsagePlanOperation,
} from './routes';

/**
 * What a function may be given, each with the settings its code reads. A
 * deployment gives them its own way: the construct by its grant methods (the
 * IAM and the settings together), local mode by the settings alone, pointed at
 * what it emulates. Which function gets which is worked out once, here, for both.
 */
export interface FunctionGrants {
  /** Exactly these actions on the key table and its GSI byTenant, and the table's name. */
  keyTable(access: { tableActions: readonly TableAction[]; indexActions: readonly TableAction[] }): void;
  /** The authorizer's access to the key table (GetItem, and the UpdateItem of lastUsedAt), and where its outcome metrics go. */
  verifyKeys(): void;
  /**
   * Delivering audit records: these actions on both tables, the key table's GSI byTenant
   * and the tables' sparse indexes of waiting records, and the tables' names.
   */
  deliverAudit(access: AuditWorkerAccess): void;
  /** Exactly these actions on the tenant table, and its name. */
  tenantTable(actions: readonly TableAction[]): void;
  /** The deployment's key prefix. */
  issueKeys(): void;
  /** Publishing audit records to EventBridge, and the trail's settings. */
  publishAudit(): void;
  /** Flushing every registered stage now, and queueing follow-ups. */
  flushNow(): void;
  /** Scheduling a flush for the moment a key stops working. */
  scheduleFlush(): void;
  /** Warning of keys' expiries: how long before, and scheduling the warnings that are not due yet. */
  scheduleExpiryWarnings(): void;
  /** These operations on the usage plans, and the plans' settings. */
  usagePlans(operations: readonly UsagePlanOperation[]): void;
  /** Naming a tenant's API Gateway API key, which needs no call. */
  usageIdentifier(): void;
  /** Checking console users' tokens: the issuer, client, tenant claim and grantable scopes. */
  verifyConsoleUsers(): void;
  /** Serving the console's page: its assets, its sign-in settings, its Content-Security-Policy, the expiry warnings' window. */
  serveConsole(): void;
  /**
   * Reading the stages registered for the usage plans and putting them back in the
   * plans (GetUsagePlan, UpdateUsagePlan), and where `UnlinkedStages` goes.
   */
  reconcileStages(): void;
}

/** The grants a route's handler may be given. */
export type HandlerGrants = Omit<FunctionGrants, 'deliverAudit' | 'usageIdentifier' | 'verifyConsoleUsers' | 'reconcileStages'>;

/** What a route's handler is given: what its definition in the route table says it does. */
export function grantHandler(definition: HandlerDefinition, grants: HandlerGrants): void {
  if (definition.tableActions.length > 0 || definition.indexActions.length > 0) grants.keyTable(definition);
  if (definition.verifiesKeys) grants.verifyKeys();
  if (definition.tenantTableActions.length > 0) grants.tenantTable(definition.tenantTableActions);
  if (definition.issuesKeys) grants.issueKeys();
  if (definition.deliversWaitingRecords) grants.publishAudit();
  if (definition.invalidation.includes('flushNow')) grants.flushNow();
  if (definition.invalidation.includes('flushAt')) grants.scheduleFlush();
  if (definition.warnsOfExpiry) grants.scheduleExpiryWarnings();
  if (definition.usagePlans.length > 0) grants.usagePlans(definition.usagePlans);
  if (definition.servesConsole) grants.serveConsole();
}

/** What each function behind no route is given; each takes only the grants it uses. */
export const ROUTELESS_GRANTS = {
  /** The x-api-key authorizer. */
  authorizer(grants: Pick<FunctionGrants, 'verifyKeys' | 'usageIdentifier'>): void {
    grants.verifyKeys();
    grants.usageIdentifier();
  },
  /** The console users' JWT authorizer. */
  jwtAuthorizer(grants: Pick<FunctionGrants, 'verifyConsoleUsers'>): void {
    grants.verifyConsoleUsers();
  },
  /** The flush queue's consumer. */
  flusher(grants: Pick<FunctionGrants, 'flushNow'>): void {
    grants.flushNow();
  },
  /** The audit delivery, fed by the tables' streams (in local mode, their change feed). */
  auditDelivery(grants: Pick<FunctionGrants, 'deliverAudit' | 'publishAudit'>): void {
    grants.deliverAudit(AUDIT_DELIVERY_ACCESS);
    grants.publishAudit();
  },
  /** The audit sweeper. */
  auditSweeper(grants: Pick<FunctionGrants, 'deliverAudit' | 'publishAudit'>): void {
    grants.deliverAudit(AUDIT_SWEEPER_ACCESS);
    grants.publishAudit();
  },
  /**
   * The scheduled expiry warnings' consumer: it writes each warning into its key, for the audit delivery to
   * take, or schedules it again for the key's own expiry when the schedule was left on another.
   */
  expiryWarner(grants: Pick<FunctionGrants, 'keyTable' | 'scheduleExpiryWarnings'>): void {
    grants.keyTable(EXPIRY_WARNER_ACCESS);
    grants.scheduleExpiryWarnings();
  },
  /** The usage plan reconciler: the plans' stages, and tenants' plan moves cut short. */
  usagePlanReconciler(grants: Pick<FunctionGrants, 'reconcileStages' | 'usagePlans' | 'tenantTable'>): void {
    grants.reconcileStages();
    grants.usagePlans(['finishMoves']);
    grants.tenantTable(USAGE_PLAN_RECONCILER_TENANT_TABLE_ACTIONS);
  },
};

/**
 * A function behind no route: the x-api-key authorizer, the console users' JWT authorizer, the flush queue's
 * consumer, the audit delivery, the audit sweeper, the expiry warner, or the usage plan reconciler.
 */
export type RoutelessFunction = keyof typeof ROUTELESS_GRANTS;
