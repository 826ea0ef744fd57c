import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { STORE_ACTIONS, TABLE_SCHEMA } from '../lambda/store/table-schema.js';
import { InvalidPropsError } from './invalid-props-error.js';

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
      actions: [...STORE_ACTIONS],
      resourceArns: [
        table.tableArn,
        `${table.tableArn}/index/${TABLE_SCHEMA.dueIndex.name}`,
        `${table.tableArn}/index/${TABLE_SCHEMA.flowIndex.name}`,
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
    const { partitionKey, sortKey, dueIndex, flowIndex } = TABLE_SCHEMA;
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
      globalSecondaryIndexes: [dueIndex, flowIndex].map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType[TABLE_SCHEMA.indexProjection],
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
