import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../src/config';
import type { AuditWorkerAccess, TableAction } from '../src/routes';
import { TENANT_TABLE } from '../src/store/table-schema';

/**
 * What the service keeps per tenant, built from the shared schema: partition key
 * `tenantId`, sort key `sk`, TTL on `ttl`, the sparse index `pendingAudit` of
 * tenants whose plan changes' records wait for delivery, and a stream (new and
 * old images) that carries those records to the delivery function. On-demand
 * billing, point-in-time recovery and deletion protection; retained when the
 * stack is deleted.
 */
export class TenantTable extends Construct {
  /** The DynamoDB table. */
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TENANT_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TENANT_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TENANT_TABLE.ttlAttribute,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TENANT_TABLE.pendingAuditIndex.name,
      partitionKey: { name: TENANT_TABLE.pendingAuditIndex.partitionKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }

  /** Lets a function make exactly these calls, and tells it the table's name (`TENANT_TABLE_NAME`). */
  grantAccess(fn: LambdaFunction, actions: readonly TableAction[]): Grant {
    fn.addEnvironment(ENV.tenantTableName, this.table.tableName);
    return Grant.addToPrincipal({ grantee: fn, actions: [...actions], resourceArns: [this.table.tableArn] });
  }

  /** The access of a function that delivers audit records: its actions on the table and on the sparse index of waiting records. */
  grantAuditWork(fn: LambdaFunction, access: AuditWorkerAccess): Grant {
    const grant = this.grantAccess(fn, access.tenantTableActions);
    if (access.tenantPendingIndexActions.length === 0) return grant;
    return grant.combine(
      Grant.addToPrincipal({
        grantee: fn,
        actions: [...access.tenantPendingIndexActions],
        resourceArns: [`${this.table.tableArn}/index/${TENANT_TABLE.pendingAuditIndex.name}`],
      }),
    );
  }
}
