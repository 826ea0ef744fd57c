import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowConfigSchema } from '../../lambda/config/flow-config.js';
import type { RunRecord } from '../../lambda/engine/run.js';
import { applyStep } from '../../lambda/engine/transitions.js';
import { CorruptRunError, RunConflictError } from '../../lambda/store/errors.js';
import { DynamoDbRunStore } from '../../lambda/store/dynamodb-run-store.js';
import { startLocalAws, TARGET_SRN, type LocalAws } from '../support/local-aws.js';

let aws: LocalAws;
let store: DynamoDbRunStore;
let tableName: string;
beforeAll(async () => {
  aws = await startLocalAws({});
  tableName = await aws.newTable();
  store = new DynamoDbRunStore({ tableName, client: aws.dynamodb });
});
afterAll(async () => {
  await aws?.stop();
});

const flow = flowConfigSchema.parse({ name: 'store-flow', escalateFunction: 'e', deescalateFunction: 'd', targets: [{ srn: TARGET_SRN }] });

function newRun(runId: string, at = '2026-12-04T10:00:00.000Z', fields: Record<string, string> = {}): RunRecord {
  const ctx = { now: new Date(at), flow, claimStaleAfterMs: 1000 };
  return applyStep(undefined, { eventId: `e-${runId}`, step: 'request', runId, actor: { username: 'alice', name: '' }, origin: 'event', targetSrn: TARGET_SRN, fields }, ctx).run;
}

async function rawItem(runId: string) {
  return (await aws.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `RUN#${runId}` }, sk: { S: 'RUN' } } }))).Item;
}

describe('DynamoDbRunStore', () => {
  it('creates once; a second create is a conflict that carries what is stored', async () => {
    const run = newRun('s-1');
    await store.create(run);
    expect(await store.get('s-1')).toEqual(run);
    const error = await store.create({ ...run, fields: { other: 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunConflictError);
    expect((error as RunConflictError).current).toEqual(run);
  });

  it('updates only from the version it was read at', async () => {
    const run = newRun('s-2');
    await store.create(run);
    const next = { ...run, version: 2, state: 'denied' as const };
    await store.update(next);
    const stale = await store.update({ ...run, version: 2, state: 'expired' }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(RunConflictError);
    expect((stale as RunConflictError).current?.state).toBe('denied');
    expect((await store.get('s-2'))?.state).toBe('denied');
  });

  it('stores small runs as JSON and larger ones gzip-compressed, and reads both back', async () => {
    const small = new DynamoDbRunStore({ tableName, client: aws.dynamodb, compressAboveBytes: 100_000 });
    await small.create(newRun('s-plain'));
    await store.create(newRun('s-zipped', undefined, { reason: 'x'.repeat(2000) }));
    expect((await rawItem('s-plain'))?.run?.S).toBeDefined();
    const zipped = await rawItem('s-zipped');
    expect(zipped?.runGz?.B).toBeDefined();
    expect(zipped?.run).toBeUndefined();
    expect((await store.get('s-zipped'))?.fields.reason).toHaveLength(2000);
  });

  it('lists due run ids soonest first, only of its flow and only up to the time given', async () => {
    const dueTable = await aws.newTable();
    const s = new DynamoDbRunStore({ tableName: dueTable, client: aws.dynamodb });
    await s.create(newRun('late', '2026-12-04T12:00:00.000Z'));
    await s.create(newRun('early', '2026-12-04T10:00:00.000Z'));
    await s.create({ ...newRun('other-flow'), flow: 'another' });
    await s.create({ ...newRun('not-due', '2026-12-04T11:00:00.000Z'), dueAt: undefined });
    expect(await s.listDue('store-flow', new Date('2026-12-06T00:00:00.000Z'))).toEqual(['early', 'late']);
    expect(await s.listDue('store-flow', new Date('2026-12-05T11:00:00.000Z'))).toEqual(['early']);
    expect((await s.listRuns('store-flow')).map((r) => r.runId)).toEqual(['late', 'not-due', 'early']);
    expect((await s.listRuns('store-flow', { state: 'denied' })).map((r) => r.runId)).toEqual([]);
  });

  it('reads a step output with one consistent read, and nothing for steps that save none', async () => {
    const run = newRun('s-out');
    await store.create({ ...run, outputs: { escalate: { body: { g: 1 }, errors: [], at: run.createdAt } } });
    expect(await store.readStepOutput('s-out', 'escalate')).toEqual({ body: { g: 1 }, errors: [] });
    expect(await store.readStepOutput('s-out', 'deescalate')).toBeUndefined();
    expect(await store.readStepOutput('s-out', 'approve')).toBeUndefined();
  });

  it('names a corrupt item instead of returning garbage', async () => {
    await aws.dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'RUN#broken' }, sk: { S: 'RUN' }, run: { S: '{not json' } } }));
    await expect(store.get('broken')).rejects.toThrow(CorruptRunError);
  });

  it('slots: one holder at a time until its hold passes; a takeover needs the holder unchanged', async () => {
    const now = '2026-12-04T10:00:00.000Z';
    expect(await store.acquireSlot('slot-a', 'run-1', '2026-12-04T11:00:00.000Z', now)).toBeUndefined();
    expect(await store.acquireSlot('slot-a', 'run-1', '2026-12-04T12:00:00.000Z', now)).toBeUndefined();
    expect(await store.acquireSlot('slot-a', 'run-2', '2026-12-04T13:00:00.000Z', now)).toBe('run-1');
    // Past the holder's hold, a new run takes it in the same one write.
    expect(await store.acquireSlot('slot-a', 'run-2', '2026-12-04T13:00:00.000Z', '2026-12-04T12:00:01.000Z')).toBeUndefined();
    expect(await store.takeOverSlot('slot-a', 'run-1', 'run-3', '2026-12-04T14:00:00.000Z')).toBe(false);
    expect(await store.takeOverSlot('slot-a', 'run-2', 'run-3', '2026-12-04T14:00:00.000Z')).toBe(true);
    expect(await store.acquireSlot('slot-a', 'run-4', '2026-12-04T15:00:00.000Z', now)).toBe('run-3');
  });
});
