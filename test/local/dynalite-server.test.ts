import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteServer } from '../../lambda/local/dynalite-server.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir?: string): Promise<{ server: DynaliteServer; client: DynamoDBClient }> {
  const server = await startDynalite({ dataDir });
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  cleanups.push(async () => {
    client.destroy();
    await server.stop();
  });
  return { server, client };
}

async function createRunsTable(client: DynamoDBClient): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: 'runs',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  // CreateTable answers CREATING; with createTableMs 0 the table is ACTIVE a write later.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'runs' }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('table runs did not become ACTIVE within 500 ms');
}

describe('startDynalite', () => {
  it('listens on a free loopback port, not the CLI default 4567', async () => {
    const a = await start();
    const b = await start();
    expect(a.server.port).toBeGreaterThan(0);
    expect(a.server.port).not.toBe(4567);
    expect(b.server.port).not.toBe(a.server.port);
    expect(a.server.endpoint).toBe(`http://127.0.0.1:${a.server.port}`);
  });

  it('has new tables ACTIVE without dynalite\'s 500 ms delay, and puts and gets items', async () => {
    const { client } = await start();
    const started = Date.now();
    await createRunsTable(client);
    expect(Date.now() - started).toBeLessThan(400);
    const described = await client.send(new DescribeTableCommand({ TableName: 'runs' }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');
    await client.send(new PutItemCommand({ TableName: 'runs', Item: { pk: { S: 'r-1' }, version: { N: '1' } } }));
    const got = await client.send(new GetItemCommand({ TableName: 'runs', Key: { pk: { S: 'r-1' } }, ConsistentRead: true }));
    expect(got.Item).toEqual({ pk: { S: 'r-1' }, version: { N: '1' } });
  });

  it('forgets everything on stop without a dataDir', async () => {
    const first = await start();
    await createRunsTable(first.client);
    await first.server.stop();
    await first.server.stop();
    const second = await start();
    await expect(second.client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
  });

  it('persists tables and items in dataDir across stop and start', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'dynalite-test-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'nested', 'data');

    const first = await start(dataDir);
    await createRunsTable(first.client);
    await first.client.send(new PutItemCommand({ TableName: 'runs', Item: { pk: { S: 'r-2' }, state: { S: 'escalated' } } }));
    first.client.destroy();
    await first.server.stop();

    const second = await start(dataDir);
    const got = await second.client.send(new GetItemCommand({ TableName: 'runs', Key: { pk: { S: 'r-2' } }, ConsistentRead: true }));
    expect(got.Item).toEqual({ pk: { S: 'r-2' }, state: { S: 'escalated' } });
  });
});
