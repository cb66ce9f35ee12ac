import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import type { AuditWorkerAccess, TableAction } from '../src/routes';
import { KEY_TABLE } from '../src/store/table-schema';

/**
 * The authorizer's one write is KeyStore.recordUse: `SET lastUsedAt` on an existing
 * item, conditioned on keyHash and lastUsedAt, with ReturnValues NONE. DynamoDB
 * fine-grained access control ("Using IAM policy conditions for fine-grained access
 * control", DynamoDB Developer Guide) pins UpdateItem to exactly that: every
 * attribute the request names must be the key or lastUsedAt (the Null check stops
 * an empty set passing ForAllValues), and it may not ask for the item back.
 */
const RECORD_USE_CONDITIONS = {
  'ForAllValues:StringEquals': { 'dynamodb:Attributes': [KEY_TABLE.partitionKey, 'lastUsedAt'] },
  Null: { 'dynamodb:Attributes': 'false' },
  StringEquals: { 'dynamodb:ReturnValues': 'NONE' },
};

/** What a function may do with the key table: actions on the table itself and on GSI byTenant. */
export interface KeyTableAccess {
  readonly tableActions: readonly TableAction[];
  readonly indexActions: readonly TableAction[];
}

/**
 * The key table of DESIGN's data model, built from the shared schema: partition
 * key `keyHash`, GSI `byTenant`, TTL on `ttl`. On-demand billing, point-in-time
 * recovery and deletion protection; it is retained when the stack is deleted. Its
 * stream (new and old images) carries each change's audit record to the delivery
 * function (audit-trail.ts).
 */
export class KeyTable extends Construct {
  /** The DynamoDB table. */
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, ttlAttribute, byTenantIndex, pendingAuditIndex } = KEY_TABLE;
    // Table (AWS::DynamoDB::Table) rather than TableV2: one Region, no replicas.
    this.table = new Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: ttlAttribute,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: byTenantIndex.name,
      partitionKey: { name: byTenantIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: byTenantIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // Sparse: only keys with an undelivered audit record are in it, so the sweeper reads nothing else.
    this.table.addGlobalSecondaryIndex({
      indexName: pendingAuditIndex.name,
      partitionKey: { name: pendingAuditIndex.partitionKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }

  /** ARN of GSI byTenant. */
  get indexArn(): string {
    return `${this.table.tableArn}/index/${KEY_TABLE.byTenantIndex.name}`;
  }

  /** Lets a function make exactly these calls, and tells it the table's name (`TABLE_NAME`). */
  grantAccess(fn: LambdaFunction, access: KeyTableAccess): Grant {
    fn.addEnvironment(ENV.tableName, this.table.tableName);
    return this.grantActions(fn, [...access.tableActions], [...access.indexActions]);
  }

  /**
   * The authorizer's access: GetItem by hash, and the one UpdateItem that records
   * `lastUsedAt`, pinned to that attribute by IAM conditions.
   */
  grantVerify(fn: LambdaFunction): Grant {
    fn.addEnvironment(ENV.tableName, this.table.tableName);
    return this.grantActions(fn, ['dynamodb:GetItem'], []).combine(
      Grant.addToPrincipal({
        grantee: fn,
        actions: ['dynamodb:UpdateItem'],
        resourceArns: [this.table.tableArn],
        conditions: RECORD_USE_CONDITIONS,
      }),
    );
  }

  /**
   * The access of a function that delivers audit records: its actions on the table,
   * on GSI byTenant and on the sparse index of waiting records, and the table's name.
   */
  grantAuditWork(fn: LambdaFunction, access: AuditWorkerAccess): Grant {
    fn.addEnvironment(ENV.tableName, this.table.tableName);
    const grant = this.grantActions(fn, [...access.tableActions], [...access.indexActions]);
    if (access.pendingIndexActions.length === 0) return grant;
    return grant.combine(
      Grant.addToPrincipal({
        grantee: fn,
        actions: [...access.pendingIndexActions],
        resourceArns: [`${this.table.tableArn}/index/${KEY_TABLE.pendingAuditIndex.name}`],
      }),
    );
  }

  /** Lets `grantee` read key records: GetItem by hash on the table, Query on `byTenant`. No writes. */
  grantReadKeys(grantee: IGrantable): Grant {
    return this.grantActions(grantee, ['dynamodb:GetItem'], ['dynamodb:Query']);
  }

  private grantActions(grantee: IGrantable, tableActions: string[], indexActions: string[]): Grant {
    const grants = [
      tableActions.length > 0
        ? Grant.addToPrincipal({ grantee, actions: tableActions, resourceArns: [this.table.tableArn] })
        : undefined,
      indexActions.length > 0
        ? Grant.addToPrincipal({ grantee, actions: indexActions, resourceArns: [this.indexArn] })
        : undefined,
    ].filter((grant): grant is Grant => grant !== undefined);
    return grants.reduce((all, grant) => all.combine(grant), grants[0] ?? Grant.drop(grantee, 'key table access'));
  }
}
