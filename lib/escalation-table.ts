import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { InvalidPropsError } from './invalid-props-error.js';

/**
 * The key schema the dispatcher's store reads and writes. Several flows may share one
 * table: every item carries its flow.
 */
export const ESCALATION_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Active escalations by expiry, for the sweep. Sparse: only active runs carry the keys. */
  byExpiryIndex: { indexName: 'byExpiry', partitionKey: 'activePartition', sortKey: 'expiresAt' },
  /** A flow's runs by creation time. */
  byFlowIndex: { indexName: 'byFlow', partitionKey: 'flow', sortKey: 'createdAt' },
} as const;

// What the store does (one conditional write per change, consistent reads, index
// queries). Kept to data actions: no table management, no streams, no transactions.
const DATA_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:UpdateItem',
];

export interface EscalationTableProps {
  /**
   * Physical table name.
   * @default - a name CloudFormation generates
   */
  readonly tableName?: string;
  /**
   * Customer managed KMS key to encrypt the table with.
   * @default - encrypted with the AWS managed key for DynamoDB (`aws/dynamodb`)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the table (its runs and audit history) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether CloudFormation refuses to delete the table.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The DynamoDB table escalation runs, step outputs and history live in: on-demand,
 * point-in-time recovery, encrypted, with the two indexes the store queries.
 *
 * Create one and pass `table` to several `EscalationFlow`s to let them share it.
 */
export class EscalationTable extends Construct {
  /**
   * Grants the store's data actions on `table` and on both of its indexes, by name. Use
   * this for a table imported with `Table.fromTableArn` (which does not know its indexes,
   * so its own `grantReadWriteData` would leave them out).
   */
  public static grantReadWriteData(table: dynamodb.ITable, grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: DATA_ACTIONS,
      resourceArns: [
        table.tableArn,
        `${table.tableArn}/index/${ESCALATION_TABLE_SCHEMA.byExpiryIndex.indexName}`,
        `${table.tableArn}/index/${ESCALATION_TABLE_SCHEMA.byFlowIndex.indexName}`,
      ],
    });
    table.encryptionKey?.grantEncryptDecrypt(grantee);
    return grant;
  }

  /** The table. */
  public readonly table: dynamodb.TableV2;
  public readonly tableName: string;
  public readonly tableArn: string;

  public constructor(scope: Construct, id: string, props: EscalationTableProps = {}) {
    super(scope, id);
    if (props.tableName !== undefined && !Token.isUnresolved(props.tableName) && !/^[a-zA-Z0-9_.-]{3,255}$/.test(props.tableName)) {
      throw new InvalidPropsError(
        'tableName',
        props.tableName,
        '3-255 letters, digits, underscores, hyphens and dots (DynamoDB table naming rules)',
      );
    }
    const { partitionKey, sortKey, byExpiryIndex, byFlowIndex } = ESCALATION_TABLE_SCHEMA;
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.encryptionKey
        ? dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey)
        : dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: props.deletionProtection ?? false,
      globalSecondaryIndexes: [byExpiryIndex, byFlowIndex].map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        // Keys only: the sweep and `list` read each run after, and a run's writes then do
        // not pay to copy the whole run into both indexes.
        projectionType: dynamodb.ProjectionType.KEYS_ONLY,
      })),
    });
    this.tableName = this.table.tableName;
    this.tableArn = this.table.tableArn;
  }

  /** Lets `grantee` read and write runs (the table and its indexes). */
  public grantReadWriteData(grantee: iam.IGrantable): iam.Grant {
    return EscalationTable.grantReadWriteData(this.table, grantee);
  }
}
