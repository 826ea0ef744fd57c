import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { AdapterConfigurationError, isTransientAwsError } from '../adapter-errors.js';
import type { RunRecord } from '../engine/run.js';
import type { ApprovalTemplateStep } from '../sdk/steps.js';
import type { StepOutput } from '../sdk/step-output.js';
import { TABLE_SCHEMA } from './table-schema.js';
import { CorruptRunError, RunConflictError, StoreUnavailableError } from './errors.js';
import type { ListRunsOptions, RunStore } from './run-store.js';

export interface DynamoDbRunStoreProps {
  readonly tableName: string;
  /** An existing client. Give this or `clientConfig`, not both. @default a client built from `clientConfig` */
  readonly client?: DynamoDBClient;
  /** Configuration for a new client. @default {} (the environment's region and credentials) */
  readonly clientConfig?: DynamoDBClientConfig;
  /**
   * Runs whose JSON is larger than this are stored gzip-compressed. A write costs one
   * WRU per KB of item: a typical run (1-2.5 KB of JSON) compresses to well under 1 KB.
   * @default 512
   */
  readonly compressAboveBytes?: number;
}

export { TABLE_SCHEMA } from './table-schema.js';

// A DynamoDB item is at most 400 KB including attribute names; leave room for the keys.
const MAX_BODY_BYTES = 390_000;
const RUN_SORT_KEY = 'RUN';

/**
 * The run store on one DynamoDB table. A run is one item: its keys, the attributes the
 * indexes need, and the whole run as JSON (a string, or gzip when large). Keeping the run
 * in one item is what lets every state change be one conditional PutItem on `version`,
 * with no transactions, and `getStepOutput` be one consistent GetItem.
 */
export class DynamoDbRunStore implements RunStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly compressAboveBytes: number;

  public constructor(props: DynamoDbRunStoreProps) {
    if (props.client && props.clientConfig) {
      throw new AdapterConfigurationError('DynamoDbRunStore: give either client or clientConfig, not both');
    }
    this.client = props.client ?? new DynamoDBClient(props.clientConfig ?? {});
    this.tableName = props.tableName;
    this.compressAboveBytes = props.compressAboveBytes ?? 512;
  }

  public async get(runId: string): Promise<RunRecord | undefined> {
    const result = await this.call('GetItem', () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(runId), ConsistentRead: true })),
    );
    return result.Item ? decode(runId, result.Item) : undefined;
  }

  public async create(run: RunRecord): Promise<void> {
    await this.put(run, 'attribute_not_exists(pk)', {});
  }

  public async update(run: RunRecord): Promise<void> {
    await this.put(run, 'version = :expected', { ':expected': { N: String(run.version - 1) } });
  }

  public async readStepOutput(runId: string, step: ApprovalTemplateStep): Promise<StepOutput | undefined> {
    const run = await this.get(runId);
    if (step !== 'escalate' && step !== 'deescalate') return undefined;
    const output = run?.outputs[step];
    return output ? { body: output.body, errors: output.errors } : undefined;
  }

  public async listDue(flow: string, before: Date, limit = 100): Promise<string[]> {
    const { name, partitionKey, sortKey } = TABLE_SCHEMA.dueIndex;
    return this.queryIds('listDue', {
      IndexName: name,
      KeyConditionExpression: '#p = :flow AND #s <= :before',
      ExpressionAttributeNames: { '#p': partitionKey, '#s': sortKey },
      ExpressionAttributeValues: { ':flow': { S: flow }, ':before': { S: before.toISOString() } },
      ScanIndexForward: true,
    }, limit);
  }

  /**
   * Runs of `flow`, newest first. The index holds keys only (so run writes do not pay for
   * copying the whole run into it): each run is then read consistently. Local mode's
   * `list` is its user; the engine never lists.
   */
  public async listRuns(flow: string, options: ListRunsOptions = {}): Promise<RunRecord[]> {
    const { name, partitionKey } = TABLE_SCHEMA.flowIndex;
    const ids = await this.queryIds(
      'listRuns',
      {
        IndexName: name,
        KeyConditionExpression: '#p = :flow',
        ExpressionAttributeNames: { '#p': partitionKey },
        ExpressionAttributeValues: { ':flow': { S: flow } },
        ScanIndexForward: false,
      },
      Number.POSITIVE_INFINITY,
    );
    const runs: RunRecord[] = [];
    for (const id of ids) {
      const run = await this.get(id);
      if (run && (options.state === undefined || run.state === options.state)) runs.push(run);
      if (runs.length >= (options.limit ?? 50)) break;
    }
    return runs;
  }

  public async acquireSlot(slot: string, runId: string, heldUntil: string, now: string): Promise<string | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const condition = 'attribute_not_exists(pk) OR runId = :runId OR heldUntil < :now';
      if (await this.putSlot(slot, runId, heldUntil, condition, { ':runId': { S: runId }, ':now': { S: now } })) return undefined;
      const holder = await this.call('GetItem', () =>
        this.client.send(new GetItemCommand({ TableName: this.tableName, Key: slotKey(slot), ConsistentRead: true })),
      );
      const holderId = holder.Item?.runId?.S;
      // Gone between our write and read (taken over and released): try again.
      if (holderId !== undefined) return holderId;
    }
    throw new StoreUnavailableError(`acquireSlot(${slot})`, { cause: new Error('the slot changed hands three times in a row') });
  }

  public async takeOverSlot(slot: string, from: string, to: string, heldUntil: string): Promise<boolean> {
    return this.putSlot(slot, to, heldUntil, 'runId = :from', { ':from': { S: from } });
  }

  private async putSlot(
    slot: string,
    runId: string,
    heldUntil: string,
    condition: string,
    values: Record<string, AttributeValue>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...slotKey(slot), runId: { S: runId }, heldUntil: { S: heldUntil } },
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translate('PutItem', error);
    }
  }

  private async queryIds(
    operation: string,
    input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
    limit: number,
  ): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.call(operation, () =>
        this.client.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey })),
      );
      for (const item of page.Items ?? []) {
        ids.push(runIdOf(item));
        if (ids.length >= limit) return ids;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }

  private async put(run: RunRecord, condition: string, values: Record<string, AttributeValue>): Promise<void> {
    const item = this.encode(run);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        // dynalite ignores ReturnValuesOnConditionCheckFailure, so read what won instead.
        const current = await this.get(run.runId);
        throw new RunConflictError(run.runId, run.version - 1, current, { cause: error });
      }
      throw translate('PutItem', error);
    }
  }

  private encode(run: RunRecord): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = {
      pk: { S: `RUN#${run.runId}` },
      sk: { S: RUN_SORT_KEY },
      version: { N: String(run.version) },
      state: { S: run.state },
      flow: { S: run.flow },
      createdAt: { S: run.createdAt },
    };
    if (run.dueAt) {
      item[TABLE_SCHEMA.dueIndex.partitionKey] = { S: run.flow };
      item[TABLE_SCHEMA.dueIndex.sortKey] = { S: run.dueAt };
    }
    const body = fitBody(run, this.compressAboveBytes);
    if (typeof body === 'string') item.run = { S: body };
    else item.runGz = { B: body };
    return item;
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw translate(operation, error);
    }
  }
}

function runIdOf(item: Record<string, AttributeValue>): string {
  return item.pk?.S?.slice('RUN#'.length) ?? '';
}

function key(runId: string): Record<string, AttributeValue> {
  return { pk: { S: `RUN#${runId}` }, sk: { S: RUN_SORT_KEY } };
}

/**
 * One item per requester and target, naming the run that holds that access. It is never
 * deleted: a later run takes it over once the holder is no longer active, which costs
 * nothing on the common path (no release write when a run ends).
 */
function slotKey(slot: string): Record<string, AttributeValue> {
  return { pk: { S: `SLOT#${slot}` }, sk: { S: 'SLOT' } };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';
}

/**
 * The run's JSON, compressed when large. An output too large even compressed is replaced
 * by an error naming its size, so the run's state (and the promise to deescalate) is
 * never lost to an oversized Lambda response.
 */
function fitBody(run: RunRecord, compressAboveBytes: number): string | Uint8Array {
  let candidate = run;
  for (const step of ['escalate', 'deescalate', null] as const) {
    const json = JSON.stringify(candidate);
    if (Buffer.byteLength(json) <= compressAboveBytes) return json;
    // Level 1: a run is a few KB of repetitive JSON; the fastest level compresses it
    // nearly as well, on the hot path of every write.
    const zipped = gzipSync(json, { level: 1 });
    if (zipped.byteLength <= MAX_BODY_BYTES) return zipped;
    if (step === null) break;
    const output = candidate.outputs[step];
    if (output) {
      const size = Buffer.byteLength(JSON.stringify(output.body));
      candidate = {
        ...candidate,
        outputs: {
          ...candidate.outputs,
          [step]: {
            body: null,
            errors: [...output.errors, `${step} output of ${size} bytes is too large to store (a DynamoDB item holds 400 KB); it was dropped`],
            at: output.at,
          },
        },
      };
    }
  }
  throw new CorruptRunError(run.runId, 'the run is too large to store even without its step outputs');
}

function decode(runId: string, item: Record<string, AttributeValue>): RunRecord {
  if (item.run?.S === undefined && item.runGz?.B === undefined) {
    throw new CorruptRunError(runId, 'the item has neither a run nor a runGz attribute');
  }
  try {
    const json = item.run?.S ?? gunzipSync(item.runGz?.B as Uint8Array).toString('utf8');
    return JSON.parse(json) as RunRecord;
  } catch (error) {
    throw new CorruptRunError(runId, (error as Error).message);
  }
}

function translate(operation: string, error: unknown): Error {
  if (isTransientAwsError(error)) return new StoreUnavailableError(operation, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}
