import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from './table-schema.js';

/**
 * Creates the run table where the stack is not there to do it (local mode, tests), with
 * the keys and indexes the CDK construct gives it. An existing table is left as it is.
 */
export async function createRunTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, dueIndex, flowIndex } = TABLE_SCHEMA;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: partitionKey, AttributeType: 'S' },
          { AttributeName: sortKey, AttributeType: 'S' },
          { AttributeName: dueIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: dueIndex.sortKey, AttributeType: 'S' },
          { AttributeName: flowIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: flowIndex.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [dueIndex, flowIndex].map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
            { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: TABLE_SCHEMA.indexProjection },
        })),
      }),
    );
  } catch (error) {
    if (error instanceof ResourceInUseException || (error as Error).name === 'ResourceInUseException') return;
    throw error;
  }
}
